using System.ComponentModel;
using NodeImager.Aws;
using NodeImager.Cli.Infrastructure;
using NodeImager.Core;
using NodeImager.Core.Images;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Commands;

/// <summary>images list: the golden images of this account and region, newest first.</summary>
public sealed class ImagesListCommand(IAnsiConsole console, NodeImagerApp.HostEnvironment host) : AsyncCommand<ImagesListCommand.Settings>
{
    public sealed class Settings : AwsSettings
    {
        [CommandOption("--recipe <RECIPE>")]
        [Description("Only images of this recipe.")]
        public string? Recipe { get; init; }

        [CommandOption("--output <FORMAT>")]
        [Description("table (default) or json.")]
        public string Output { get; init; } = OutputFormat.Table;

        public override ValidationResult Validate() => OutputFormat.Validate(Output);
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var session = CloudSession.Open(settings, settings.Region, host);
        using var cloud = new AwsImageCloud(session.Connection, session.Cloud);
        var images = (await cloud.ListImagesAsync(settings.Recipe, cancellationToken))
            .OrderBy(i => i.Recipe, StringComparer.Ordinal)
            .ThenByDescending(i => i.BuiltAt ?? DateTimeOffset.MinValue)
            .ToList();
        if (settings.Output == OutputFormat.Json)
        {
            OutputFormat.WriteJson(console, images.Select(i => new
            {
                imageId = i.ImageId,
                name = i.Name,
                recipe = i.Recipe,
                recipeHash = i.RecipeHash,
                kubernetesVersion = i.KubernetesVersion,
                createdAt = i.BuiltAt,
                state = i.State,
                snapshots = i.SnapshotIds,
            }));
            return ExitCodes.Ok;
        }

        if (images.Count == 0)
        {
            console.WriteLine($"No golden images{(settings.Recipe is { } r ? $" of recipe {r}" : string.Empty)} in {cloud.Region}. Bake one with `nodeimager bake RECIPE`.");
            return ExitCodes.Ok;
        }

        var table = new Table().AddColumns("Image", "Recipe", "Hash", "Kubernetes", "Created", "State");
        foreach (var i in images)
        {
            table.AddRow(i.ImageId, Markup.Escape(i.Recipe ?? "-"), Markup.Escape(i.RecipeHash ?? "-"), Markup.Escape(i.KubernetesVersion ?? "-"), RecipeFile.Format(i.BuiltAt), Markup.Escape(i.State));
        }

        console.Write(table);
        if (settings.Stats)
        {
            session.PrintStats(console);
        }

        return ExitCodes.Ok;
    }
}

/// <summary>images prune: keeps the newest N images of a recipe, deregisters the rest and deletes their snapshots.</summary>
public sealed class ImagesPruneCommand(IAnsiConsole console, NodeImagerApp.HostEnvironment host) : AsyncCommand<ImagesPruneCommand.Settings>
{
    public sealed class Settings : AwsSettings
    {
        [CommandArgument(0, "<RECIPE>")]
        [Description("The recipe whose older images go.")]
        public string Recipe { get; init; } = string.Empty;

        [CommandOption("--keep <N>")]
        [Description("How many of the newest images to keep (required, 0 or more).")]
        public int? Keep { get; init; }

        [CommandOption("--dry-run")]
        [Description("List what would be deregistered and delete nothing.")]
        public bool DryRun { get; init; }

        public override ValidationResult Validate() =>
            Keep is null ? ValidationResult.Error("--keep N is required (how many of the newest images stay).")
            : Keep < 0 ? ValidationResult.Error($"--keep must be 0 or more, not {Keep}.")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var session = CloudSession.Open(settings, settings.Region, host);
        using var cloud = new AwsImageCloud(session.Connection, session.Cloud);
        var (keep, remove) = ImagePruning.Split(await cloud.ListImagesAsync(settings.Recipe, cancellationToken), settings.Keep!.Value);
        foreach (var image in keep)
        {
            console.WriteLine($"Keep   {image.ImageId} {image.Name} ({RecipeFile.Format(image.BuiltAt)})");
        }

        foreach (var image in remove)
        {
            console.WriteLine($"{(settings.DryRun ? "Would remove" : "Remove")} {image.ImageId} {image.Name} ({RecipeFile.Format(image.BuiltAt)}) and snapshot(s) {string.Join(", ", image.SnapshotIds)}");
        }

        if (!settings.DryRun)
        {
            await ImagePruning.PruneAsync(cloud, remove, line => console.WriteLine("  " + line), cancellationToken);
        }

        console.WriteLine($"{keep.Count} image(s) of {settings.Recipe} kept, {remove.Count} {(settings.DryRun ? "would be removed (dry run)" : "removed")}.");
        if (settings.Stats)
        {
            session.PrintStats(console);
        }

        return ExitCodes.Ok;
    }
}
