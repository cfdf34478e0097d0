using System.ComponentModel;
using System.Globalization;
using NodeImager.Aws;
using NodeImager.Cli.Infrastructure;
using NodeImager.Core;
using NodeImager.Core.Images;
using NodeImager.Core.Orchestration;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Commands;

/// <summary>Runs down for every cluster whose nodeimager:expires-at has passed, then removes the IAM identities of
/// bakes that are over (a crashed or killed bake leaves them, and down never sees them). For a cron job or CI.</summary>
public sealed class ReapCommand(IAnsiConsole console, NodeImagerApp.HostEnvironment host) : AsyncCommand<ReapCommand.Settings>
{
    public sealed class Settings : AwsSettings
    {
        [CommandOption("--dry-run")]
        [Description("List the expired clusters and leftover builder identities and remove nothing.")]
        public bool DryRun { get; init; }

        [CommandOption("--builder-grace <MINUTES>", IsHidden = true)]
        [Description("Minutes a builder identity without a builder is left alone, for a bake that is just starting (default 60; tests use 0).")]
        public string? BuilderGrace { get; init; }

        public override ValidationResult Validate() =>
            BuilderGrace is null || (double.TryParse(BuilderGrace, NumberStyles.Float, CultureInfo.InvariantCulture, out var minutes) && minutes >= 0)
                ? base.Validate()
                : ValidationResult.Error($"--builder-grace '{BuilderGrace}' is not a number of minutes (0 or more).");

        public TimeSpan Grace => BuilderGrace is null
            ? BuilderLeftovers.DefaultGrace
            : TimeSpan.FromMinutes(double.Parse(BuilderGrace, CultureInfo.InvariantCulture));
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        CloudSession.RunAsync(settings, settings.Region, host, console, async session =>
        {
            var expired = await session.Teardown().FindExpiredAsync(cancellationToken);
            var exit = await ReapClustersAsync(session, expired, settings.DryRun, cancellationToken);
            // After the clusters: a crashed bake's builder is reaped as an expired "cluster" above, which frees its
            // identity (a dry run counts it as gone).
            var removed = settings.DryRun ? expired.Select(c => c.Cluster).ToHashSet(StringComparer.Ordinal) : [];
            await ReapBuilderIdentitiesAsync(session, settings, removed, cancellationToken);
            return exit;
        });

    private async Task<int> ReapClustersAsync(CloudSession session, IReadOnlyList<ClusterSummary> expired, bool dryRun, CancellationToken cancellationToken)
    {
        if (expired.Count == 0)
        {
            console.WriteLine($"No expired NodeImager clusters in {session.Cloud.Region}.");
            return ExitCodes.Ok;
        }

        var exit = ExitCodes.Ok;
        foreach (var cluster in expired)
        {
            console.MarkupLine($"Cluster [bold]{Markup.Escape(cluster.Cluster)}[/] expired at {ClusterLauncher.FormatTime(cluster.ExpiresAt!.Value)}{(dryRun ? " (dry run: would remove it)" : string.Empty)}");
            if (!dryRun)
            {
                var code = await DownCommand.Remove(console, session, cluster.Cluster, dryRun: false, cancellationToken);
                exit = Math.Max(exit, code);
            }
        }

        return exit;
    }

    private async Task ReapBuilderIdentitiesAsync(CloudSession session, Settings settings, IReadOnlySet<string> removedBakes, CancellationToken cancellationToken)
    {
        using var images = new AwsImageCloud(session.Connection, session.Cloud);
        var leftovers = new BuilderLeftovers(images, session.Cloud, TimeProvider.System) { Grace = settings.Grace };
        foreach (var identity in await leftovers.FindAsync(removedBakes, cancellationToken))
        {
            var created = identity.CreatedAt is { } at ? ClusterLauncher.FormatTime(at) : "unknown";
            var what = $"Builder IAM role and instance profile [bold]{Markup.Escape(identity.Name)}[/] of bake {Markup.Escape(identity.Bake)} (created {created}, no builder left)";
            if (settings.DryRun)
            {
                console.MarkupLine($"{what} (dry run: would remove them)");
                continue;
            }

            await leftovers.RemoveAsync(identity, cancellationToken);
            console.MarkupLine($"{what} removed");
        }
    }
}
