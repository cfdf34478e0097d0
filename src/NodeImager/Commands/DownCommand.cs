using System.ComponentModel;
using NodeImager.Cli.Infrastructure;
using NodeImager.Core;
using NodeImager.Core.Model;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Commands;

/// <summary>Removes every trace of a cluster, found by its tags alone; running it again finds nothing to do.</summary>
public sealed class DownCommand(IAnsiConsole console, NodeImagerApp.HostEnvironment host) : AsyncCommand<DownCommand.Settings>
{
    public sealed class Settings : AwsSettings
    {
        [CommandArgument(0, "<NAME>")]
        [Description("Cluster name.")]
        public string Name { get; init; } = string.Empty;

        [CommandOption("--dry-run")]
        [Description("List what would be removed and remove nothing.")]
        public bool DryRun { get; init; }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        CloudSession.RunAsync(settings, settings.Region, host, console, session => Remove(console, session, settings.Name, settings.DryRun, cancellationToken));

    /// <summary>Shared with reap: removes one cluster and reports; non-zero when something is left.</summary>
    internal static async Task<int> Remove(IAnsiConsole console, CloudSession session, string name, bool dryRun, CancellationToken cancellationToken)
    {
        var teardown = session.Teardown();
        if (dryRun)
        {
            var found = await teardown.FindAsync(name, cancellationToken);
            var folder = session.Folders.ClusterFolder(name);
            var items = found.Describe().ToList();
            if (Directory.Exists(folder))
            {
                items.Add($"local folder {folder}");
            }

            if (items.Count == 0)
            {
                console.WriteLine($"Nothing tagged {ClusterNaming.ClusterTag}={name} in {session.Cloud.Region}; nothing would be removed.");
                return ExitCodes.Ok;
            }

            console.MarkupLine($"Would remove (dry run, nothing is changed) from cluster [bold]{Markup.Escape(name)}[/]:");
            foreach (var item in items)
            {
                console.WriteLine("  " + item);
            }

            return ExitCodes.Ok;
        }

        console.MarkupLine($"Removing cluster [bold]{Markup.Escape(name)}[/] in {session.Cloud.Region}");
        var result = await teardown.DownAsync(name, line => console.WriteLine("  " + line), cancellationToken);
        if (result.NothingWasThere)
        {
            console.WriteLine($"Nothing was left of cluster {name}: no resources tagged {ClusterNaming.ClusterTag}={name} and no local folder.");
        }

        if (!result.Leftovers.IsEmpty)
        {
            console.MarkupLine($"[red]Still there after down[/] (tagged {Markup.Escape($"{ClusterNaming.ClusterTag}={name}")}):");
            foreach (var item in result.Leftovers.Describe())
            {
                console.WriteLine("  " + item);
            }

            console.WriteLine($"Run `nodeimager down {name}` again, or remove these by hand.");
            return ExitCodes.Failure;
        }

        if (!result.NothingWasThere)
        {
            console.MarkupLine($"[green]Cluster {Markup.Escape(name)} is gone[/]: nothing tagged {Markup.Escape($"{ClusterNaming.ClusterTag}={name}")} is left.");
        }

        return ExitCodes.Ok;
    }
}
