using System.ComponentModel;
using NodeImager.Cli.Infrastructure;
using NodeImager.Core;
using NodeImager.Core.Model;
using NodeImager.Core.Orchestration;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Commands;

/// <summary>Shows the clusters found by their tags, or one cluster's nodes with the phase each one reported.</summary>
public sealed class StatusCommand(IAnsiConsole console, NodeImagerApp.HostEnvironment host) : AsyncCommand<StatusCommand.Settings>
{
    public sealed class Settings : AwsSettings
    {
        [CommandArgument(0, "[NAME]")]
        [Description("Cluster name; without it, every NodeImager cluster in the region.")]
        public string? Name { get; init; }

        [CommandOption("--output <FORMAT>")]
        [Description("table (default) or json.")]
        public string Output { get; init; } = OutputFormat.Table;

        public override ValidationResult Validate() => OutputFormat.Validate(Output);
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        CloudSession.RunAsync(settings, settings.Region, host, console, session => settings.Name is null
            ? ListAsync(session, settings, cancellationToken)
            : ShowAsync(session, settings.Name, settings, cancellationToken));

    private async Task<int> ListAsync(CloudSession session, Settings settings, CancellationToken cancellationToken)
    {
        var clusters = await session.Cloud.ListClustersAsync(cancellationToken);
        if (settings.Output == OutputFormat.Json)
        {
            OutputFormat.WriteJson(console, clusters.Select(c => new { name = c.Cluster, instances = c.Instances, expiresAt = c.ExpiresAt, creator = c.Creator }));
            return ExitCodes.Ok;
        }

        if (clusters.Count == 0)
        {
            console.WriteLine($"No NodeImager clusters in {session.Cloud.Region}.");
            return ExitCodes.Ok;
        }

        var table = new Table().AddColumns("Cluster", "Instances", "Expires at", "Creator");
        foreach (var c in clusters)
        {
            table.AddRow(Markup.Escape(c.Cluster), c.Instances.ToString(System.Globalization.CultureInfo.InvariantCulture), c.ExpiresAt is { } at ? ClusterLauncher.FormatTime(at) : "never", Markup.Escape(c.Creator ?? string.Empty));
        }

        console.Write(table);
        return ExitCodes.Ok;
    }

    private async Task<int> ShowAsync(CloudSession session, string name, Settings settings, CancellationToken cancellationToken)
    {
        var instancesTask = session.Cloud.FindInstancesAsync(name, cancellationToken);
        var reportsTask = session.Cloud.ReadNodeStatusAsync(name, cancellationToken);
        var instances = await instancesTask;
        var reports = (await reportsTask).ToDictionary(r => r.InstanceId);
        var nodes = instances
            .OrderBy(i => i.Role).ThenBy(i => i.InstanceId, StringComparer.Ordinal)
            .Select(i => new
            {
                instanceId = i.InstanceId,
                role = i.Role?.Name() ?? "unknown",
                state = i.State,
                phase = reports.GetValueOrDefault(i.InstanceId)?.Phase ?? "booting",
                step = reports.GetValueOrDefault(i.InstanceId)?.Step ?? string.Empty,
                kubernetesVersion = reports.GetValueOrDefault(i.InstanceId)?.KubernetesVersion,
                message = reports.GetValueOrDefault(i.InstanceId)?.Message,
                updatedAt = reports.GetValueOrDefault(i.InstanceId)?.UpdatedAt,
                privateIp = i.PrivateIp,
                publicIp = i.PublicIp,
                expiresAt = i.ExpiresAt,
            })
            .ToList();

        if (settings.Output == OutputFormat.Json)
        {
            OutputFormat.WriteJson(console, new { name, region = session.Cloud.Region, nodes });
            return nodes.Count == 0 ? ExitCodes.Failure : ExitCodes.Ok;
        }

        if (nodes.Count == 0)
        {
            throw new NodeImagerException(
                $"No running instances tagged {ClusterNaming.ClusterTag}={name} in {session.Cloud.Region}.",
                "List the clusters with `nodeimager status`; check --region and --profile.");
        }

        var table = new Table().AddColumns("Role", "Instance", "State", "Phase", "Step", "Kubernetes", "Private IP", "Public IP");
        foreach (var n in nodes)
        {
            table.AddRow(n.role, n.instanceId, Markup.Escape(n.state), PhaseMarkup.Of(n.phase), Markup.Escape(n.step), Markup.Escape(n.kubernetesVersion ?? string.Empty), n.privateIp ?? string.Empty, n.publicIp ?? string.Empty);
        }

        console.MarkupLine($"Cluster [bold]{Markup.Escape(name)}[/] in {session.Cloud.Region}{(nodes[0].expiresAt is { } at ? $", expires {ClusterLauncher.FormatTime(at)}" : string.Empty)}");
        console.Write(table);
        foreach (var failed in nodes.Where(n => n.phase == "failed"))
        {
            console.MarkupLine($"[red]{failed.role} {failed.instanceId} failed at {Markup.Escape(failed.step)}:[/] {Markup.Escape(failed.message ?? string.Empty)}");
        }

        return ExitCodes.Ok;
    }
}
