using System.ComponentModel;
using System.Globalization;
using NodeImager.Aws;
using NodeImager.Cli.Infrastructure;
using NodeImager.Core;
using NodeImager.Core.Configuration;
using NodeImager.Core.Images;
using NodeImager.Core.Rendering;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Commands;

/// <summary>Bakes a golden AMI from a recipe: one builder instance installs what nodes would, reports through SSM,
/// powers off, and is imaged; every temporary resource goes afterwards, whatever happened.</summary>
public sealed class BakeCommand(IAnsiConsole console, NodeImagerApp.HostEnvironment host) : AsyncCommand<BakeCommand.Settings>
{
    public sealed class Settings : AwsSettings
    {
        [CommandArgument(0, "<RECIPE>")]
        [Description("A recipe name in images/ (e.g. ubuntu-24.04-k8s-1.37), or the path of a recipe .yaml file.")]
        public string Recipe { get; init; } = string.Empty;

        [CommandOption("--images <DIR>")]
        [Description("Folder of golden-image recipes (default: NODEIMAGER_IMAGES, or images/ beside the tool).")]
        public string? Images { get; init; }

        [CommandOption("--templates <DIR>")]
        [Description("Folder of cloud-init templates (default: templates/ beside the tool).")]
        public string? Templates { get; init; }

        [CommandOption("--ami <AMI>")]
        [Description("Build on this AMI instead of the recipe's base (Canonical's Ubuntu, or the recipe's source AMI).")]
        public string? Ami { get; init; }

        [CommandOption("--subnet-id <SUBNET>")]
        [Description("Subnet for the builder (default: a default subnet of the default VPC). It needs outbound internet access.")]
        public string? SubnetId { get; init; }

        [CommandOption("--ttl <DURATION>")]
        [Description("Dead-man switch: the builder powers itself off and is tagged nodeimager:expires-at this long after the start (reap removes it). Default: 2h.")]
        public string Ttl { get; init; } = "2h";

        [CommandOption("--timeout <DURATION>")]
        [Description("How long to wait for the builder to finish (e.g. 45m). Default: 60m.")]
        public string Timeout { get; init; } = "60m";

        [CommandOption("--tag <KEY=VALUE>")]
        [Description("Extra tag on the builder, the image and its snapshots (repeatable).")]
        public string[]? Tags { get; init; }

        public override ValidationResult Validate()
        {
            if (ClusterSpecLoader.ParseDuration(Ttl.Trim().ToLowerInvariant()) is not { TotalSeconds: > 0 })
            {
                return ValidationResult.Error($"--ttl '{Ttl}' is not a duration like 2h or 90m.");
            }

            if (ClusterSpecLoader.ParseDuration(Timeout.Trim().ToLowerInvariant()) is not { TotalSeconds: > 0 })
            {
                return ValidationResult.Error($"--timeout '{Timeout}' is not a duration like 60m.");
            }

            foreach (var tag in Tags ?? [])
            {
                if (tag.IndexOf('=', StringComparison.Ordinal) <= 0)
                {
                    return ValidationResult.Error($"--tag '{tag}' must be KEY=VALUE.");
                }
            }

            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // Everything local is checked first: a bad recipe or template is exit 2 and nothing is created.
        var problems = new List<SpecProblem>();
        var recipe = RecipeFile.Read(settings.Recipe, settings.Images, host, problems);
        var templatesDirectory = settings.Templates is { } dir ? Path.GetFullPath(dir, host.WorkingDirectory) : TemplateCatalog.DefaultDirectory(host.ToolDirectory);
        var templates = TemplateCatalog.Load(templatesDirectory, problems);
        if (problems.Count > 0 || recipe is null)
        {
            throw new SpecValidationException(problems);
        }

        var ttl = ClusterSpecLoader.ParseDuration(settings.Ttl.Trim().ToLowerInvariant())!.Value;
        var timeout = ClusterSpecLoader.ParseDuration(settings.Timeout.Trim().ToLowerInvariant())!.Value;
        return await CloudSession.RunAsync(settings, settings.Region, host, console, session => BakeAsync(session, recipe, templates, ttl, timeout, settings, cancellationToken));
    }

    private async Task<int> BakeAsync(CloudSession session, GoldenImageRecipe recipe, TemplateCatalog templates, TimeSpan ttl, TimeSpan timeout, Settings settings, CancellationToken cancellationToken)
    {
        using var cloud = new AwsImageCloud(session.Connection, session.Cloud);
        var request = new BakeRequest
        {
            Recipe = recipe,
            Templates = templates,
            SourceAmi = settings.Ami,
            SubnetId = settings.SubnetId,
            Ttl = ttl,
            BuildTimeout = timeout,
            PollInterval = session.PollInterval,
            CleanupTimeout = TimeSpan.FromMinutes(10),
            ExtraTags = (settings.Tags ?? []).Select(t => t.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal),
        };

        console.MarkupLine($"Baking recipe [bold]{Markup.Escape(recipe.Name)}[/] ({recipe.Hash}): Kubernetes {recipe.KubernetesVersion}, base {Markup.Escape(settings.Ami ?? recipe.Base)}, {recipe.InstanceType}, in {session.Cloud.Region}");
        try
        {
            BakeResult? result = null;
            string? lastPhase = null;
            // A spinner only on a terminal; redirected output gets one line per phase change instead of every poll.
            async Task Bake(Action<string> show) =>
                result = await new ImageBaker(cloud, TimeProvider.System).BakeAsync(
                    request,
                    p =>
                    {
                        var elapsed = $"{(int)p.Elapsed.TotalMinutes}m{p.Elapsed.Seconds:00}s";
                        show(Markup.Escape($"{p.Stage}: {p.InstanceId} {p.InstanceState ?? "?"}, phase {p.Phase ?? "?"}{(p.Step is { Length: > 0 } s ? $", step {s}" : string.Empty)} ({elapsed})"));
                        var phase = $"{p.InstanceState}/{p.Phase}/{p.Step}";
                        if (phase != lastPhase)
                        {
                            lastPhase = phase;
                            console.WriteLine($"  [{elapsed}] {p.InstanceState ?? "?"}: phase {p.Phase ?? "?"}{(p.Step is { Length: > 0 } step ? $" ({step})" : string.Empty)}");
                        }
                    },
                    line => console.WriteLine("  " + line),
                    cancellationToken);

            if (console.Profile.Capabilities.Interactive)
            {
                await console.Status().StartAsync("Starting the builder", status => Bake(text => status.Status(text)));
            }
            else
            {
                await Bake(_ => { });
            }

            console.MarkupLine($"[green]Image {Markup.Escape(result!.ImageId)} is ready[/]: {Markup.Escape(result.ImageName)}");
            foreach (var (key, value) in result.Tags.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                console.WriteLine($"  {key} = {value}");
            }

            console.WriteLine($"Boot a cluster from it: nodeimager up --name NAME --image {recipe.Name} --kubernetes-version {recipe.KubernetesVersion.Minor}");
            return ExitCodes.Ok;
        }
        catch (BakeFailedException e)
        {
            console.MarkupLine($"[red]Bake failed:[/] {Markup.Escape(e.Message)}");
            if (e.Step is { Length: > 0 })
            {
                console.WriteLine($"Failing step: {e.Step}");
            }

            if (e.LogTail is { Length: > 0 } tail)
            {
                console.WriteLine("Builder log (last lines):");
                foreach (var line in tail.ReplaceLineEndings("\n").Split('\n'))
                {
                    console.WriteLine("  | " + line);
                }
            }

            if (e.Hint is not null)
            {
                console.MarkupLine($"[yellow]Hint:[/] {Markup.Escape(e.Hint)}");
            }

            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]Cancelled.[/] The builder and its temporary resources were removed (see above).");
            return ExitCodes.Cancelled;
        }
    }
}

/// <summary>RECIPE as bake takes it: a name in the recipe folder, or a path to a .yaml file.</summary>
internal static class RecipeFile
{
    public static GoldenImageRecipe? Read(string recipe, string? imagesFlag, NodeImagerApp.HostEnvironment host, List<SpecProblem> problems)
    {
        var isPath = recipe.EndsWith(".yaml", StringComparison.Ordinal) || recipe.Contains('/', StringComparison.Ordinal) || recipe.Contains('\\', StringComparison.Ordinal);
        var folder = Path.GetFullPath(
            imagesFlag
            ?? (host.Variables.TryGetValue("NODEIMAGER_IMAGES", out var fromEnv) && fromEnv.Length > 0 ? fromEnv : null)
            ?? Path.Combine(host.ToolDirectory, "images"),
            host.WorkingDirectory);
        var path = isPath ? Path.GetFullPath(recipe, host.WorkingDirectory) : Path.Combine(folder, recipe + ".yaml");
        if (!File.Exists(path))
        {
            var known = Directory.Exists(folder) ? string.Join(", ", Directory.GetFiles(folder, "*.yaml").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)) : "none";
            problems.Add(new SpecProblem("recipe", recipe, isPath ? "no such recipe file" : $"no recipe of that name in {folder} (known: {(known.Length == 0 ? "none" : known)})", path));
            return null;
        }

        return RecipeCatalog.Read(path, problems);
    }

    public static string Format(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) ?? "-";
}
