using System.ComponentModel;
using NodeImager.Cli.Infrastructure;
using NodeImager.Core;
using NodeImager.Core.Orchestration;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Commands;

/// <summary>Runs down for every cluster whose nodeimager:expires-at has passed (for a cron job or CI).</summary>
public sealed class ReapCommand(IAnsiConsole console, NodeImagerApp.HostEnvironment host) : AsyncCommand<ReapCommand.Settings>
{
    public sealed class Settings : AwsSettings
    {
        [CommandOption("--dry-run")]
        [Description("List the expired clusters and remove nothing.")]
        public bool DryRun { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var session = CloudSession.Open(settings, settings.Region, host);
        try
        {
            var expired = await session.Teardown().FindExpiredAsync(cancellationToken);
            if (expired.Count == 0)
            {
                console.WriteLine($"No expired NodeImager clusters in {session.Cloud.Region}.");
                return ExitCodes.Ok;
            }

            var exit = ExitCodes.Ok;
            foreach (var cluster in expired)
            {
                console.MarkupLine($"Cluster [bold]{Markup.Escape(cluster.Cluster)}[/] expired at {ClusterLauncher.FormatTime(cluster.ExpiresAt!.Value)}{(settings.DryRun ? " (dry run: would remove it)" : string.Empty)}");
                if (!settings.DryRun)
                {
                    var code = await DownCommand.Remove(console, session, cluster.Cluster, dryRun: false, cancellationToken);
                    exit = Math.Max(exit, code);
                }
            }

            return exit;
        }
        finally
        {
            if (settings.Stats)
            {
                session.PrintStats(console);
            }
        }
    }
}
