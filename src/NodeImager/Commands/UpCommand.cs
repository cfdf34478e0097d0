using System.ComponentModel;
using NodeImager.Aws;
using NodeImager.Cli.Infrastructure;
using NodeImager.Core;
using NodeImager.Core.Configuration;
using NodeImager.Core.Model;
using NodeImager.Core.Orchestration;
using NodeImager.Core.Remote;
using NodeImager.Core.Rendering;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Commands;

/// <summary>Creates a cluster on EC2 and (unless --no-wait) follows the nodes until every one reports ready.</summary>
public sealed class UpCommand(IAnsiConsole console, NodeImagerApp.HostEnvironment host, INodeDirectory nodes) : AsyncCommand<UpCommand.Settings>
{
    public sealed class Settings : ClusterSettings, IAwsFlags
    {
        [CommandOption("--profile <NAME>")]
        [Description("AWS profile from the shared config/credentials files (default: AWS_PROFILE, or the environment's keys).")]
        public string? Profile { get; init; }

        [CommandOption("--endpoint-url <URL>")]
        [Description("Send every AWS call to this endpoint (an emulator); AWS_ENDPOINT_URL does the same.")]
        public string? EndpointUrl { get; init; }

        [CommandOption("--subnet-id <SUBNET>")]
        [Description("Subnet for every node (default: a default subnet of the default VPC).")]
        public string? SubnetId { get; init; }

        [CommandOption("--ami <AMI>")]
        [Description("Boot this AMI instead of the newest Ubuntu (or golden) image.")]
        public string? Ami { get; init; }

        [CommandOption("--instance-profile <NAME>")]
        [Description("Use this existing IAM instance profile for every node instead of creating the cluster's own roles.")]
        public string? InstanceProfile { get; init; }

        [CommandOption("--spot")]
        [Description("Launch spot instances (one-time, terminated on interruption).")]
        public bool Spot { get; init; }

        [CommandOption("--dry-run")]
        [Description("Print the plan (instances, groups, rules, parameters, roles) and change nothing.")]
        public bool DryRun { get; init; }

        [CommandOption("--no-wait")]
        [Description("Return once the instances are launched, without waiting for the nodes to report ready.")]
        public bool NoWait { get; init; }

        [CommandOption("--no-kubeconfig")]
        [Description("Do not fetch the admin kubeconfig from the master over SSH when the cluster is ready.")]
        public bool NoKubeconfig { get; init; }

        [CommandOption("--merge-kubeconfig")]
        [Description("Also merge the kubeconfig into ~/.kube/config (or $KUBECONFIG) under a context named after the cluster.")]
        public bool MergeKubeconfig { get; init; }

        [CommandOption("--ssh-user <USER>")]
        [Description("Login user on the nodes, for the kubeconfig fetch. Default: ubuntu (Canonical's images).")]
        public string SshUser { get; init; } = NodeEndpoint.DefaultUser;

        [CommandOption("--timeout <DURATION>")]
        [Description("How long to wait for every node to be ready (e.g. 20m). Default: 20m.")]
        public string Timeout { get; init; } = "20m";

        [CommandOption("--stats")]
        [Description("At the end, print the AWS requests sent, by service and action.")]
        public bool Stats { get; init; }

        [CommandOption("--poll-interval <SECONDS>", IsHidden = true)]
        [Description("Seconds between polls while waiting (tests use less than the default 5).")]
        public string? PollInterval { get; init; }

        public override ValidationResult Validate() =>
            ClusterSpecLoader.ParseDuration(Timeout.Trim().ToLowerInvariant()) is { TotalSeconds: > 0 }
                ? ValidationResult.Success()
                : ValidationResult.Error($"--timeout '{Timeout}' is not a duration like 20m or 1h.");
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var loaded = ClusterLoader.Load(settings, host);
        return await CloudSession.RunAsync(settings, loaded.Spec.Region, host, console, session => RunAsync(loaded, settings, session, cancellationToken));
    }

    private async Task<int> RunAsync(LoadedCluster loaded, Settings settings, CloudSession session, CancellationToken cancellationToken)
    {
        var spec = loaded.Spec;
        var templates = loaded.Templates.Directory;

        // Nodes booting a golden image (not an --ami override) check its marker and skip the install when it matches.
        var golden = loaded.Recipe is { } recipe && settings.Ami is null
            ? new GoldenImageMarker(recipe.Name, recipe.Hash, recipe.KubernetesVersion.ToString())
            : null;
        var launcher = new ClusterLauncher(session.Cloud, new TemplateUserData(templates, golden), new OperatorAddress(), session.Folders, TimeProvider.System);
        var options = new UpOptions { SubnetId = settings.SubnetId, ImageId = settings.Ami, InstanceProfile = settings.InstanceProfile, Spot = settings.Spot };

        var plan = await launcher.PlanAsync(spec with { Region = session.Cloud.Region }, options, cancellationToken);
        if (settings.DryRun)
        {
            console.MarkupLine("[bold]Plan[/] (dry run: nothing is created)");
            foreach (var line in plan.Describe())
            {
                console.WriteLine(line);
            }

            return ExitCodes.Ok;
        }

        var down = $"nodeimager down {spec.Name}{RegionFlag(settings, session)}";
        var progress = new LaunchProgress();
        LaunchedCluster launched;
        try
        {
            console.MarkupLine($"Creating cluster [bold]{Markup.Escape(spec.Name)}[/] in {session.Cloud.Region}: {spec.Masters} master(s), {spec.Workers} worker(s), image {plan.Image.ImageId}{(plan.ExpiresAt is { } at ? $", expires {ClusterLauncher.FormatTime(at)}" : string.Empty)}");
            // Masters and workers launch concurrently and both report; the console is not thread-safe.
            var consoleLock = new Lock();
            launched = await launcher.LaunchAsync(plan, progress, line =>
            {
                lock (consoleLock)
                {
                    console.WriteLine("  " + line);
                }
            }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]Cancelled.[/] Launching stopped; what was created so far is tagged " + Markup.Escape($"{ClusterNaming.ClusterTag}={spec.Name}") + ".");
            console.WriteLine($"Remove it with: {down}");
            return ExitCodes.Cancelled;
        }
        catch (NodeImagerException e) when (progress.CreatedAnything)
        {
            throw new NodeImagerException(
                $"{e.Message}\nAlready created (all tagged {ClusterNaming.ClusterTag}={spec.Name}): {string.Join(", ", progress.Created)}.",
                $"Remove it with `{down}`. {e.Hint}",
                e.ExitCode,
                e);
        }

        if (settings.NoWait)
        {
            console.WriteLine($"Launched {launched.AllInstanceIds.Count} instance(s). Follow them with `nodeimager status {spec.Name}`; remove everything with `{down}`.");
            return ExitCodes.Ok;
        }

        var timeout = ClusterSpecLoader.ParseDuration(settings.Timeout.Trim().ToLowerInvariant())!.Value;
        var watcher = new ClusterWatcher(session.Cloud, TimeProvider.System);
        try
        {
            WaitSnapshot? final = null;
            if (console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi)
            {
                var table = NodeTable([]);
                await console.Live(table).StartAsync(async live =>
                {
                    final = await watcher.WaitAsync(spec.Name, launched.InstanceIds, timeout, session.PollInterval, snapshot =>
                    {
                        Fill(table, snapshot.Nodes);
                        live.Refresh();
                    }, cancellationToken);
                });
            }
            else
            {
                // A log or a pipe: redrawing the table every poll would repeat it hundreds of times. One line per
                // change of a node's state, phase or step instead, and the table once at the end.
                var changes = new ProgressLines();
                final = await watcher.WaitAsync(spec.Name, launched.InstanceIds, timeout, session.PollInterval, snapshot =>
                {
                    foreach (var line in changes.Next(snapshot.Nodes))
                    {
                        console.WriteLine(line);
                    }
                }, cancellationToken);
                console.Write(NodeTable(final.Nodes));
            }
            var master = (await session.Cloud.FindInstancesAsync(spec.Name, cancellationToken)).FirstOrDefault(i => i.Role == NodeRole.Master);
            console.MarkupLine($"[green]Cluster {Markup.Escape(spec.Name)} is ready[/]: {final!.Nodes.Count} node(s).");
            if (master?.PublicIp is { } ip && launched.PrivateKeyPath is { } key)
            {
                console.WriteLine($"SSH: ssh -i {key} ubuntu@{ip}");
            }

            if (!settings.NoKubeconfig)
            {
                await FetchKubeconfigAsync(spec.Name, launched.PrivateKeyPath, settings, down, cancellationToken);
            }

            console.WriteLine($"Remove it with: {down}");
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]Cancelled[/] while waiting; the nodes keep booting.");
            console.WriteLine($"Remove them with: {down}");
            return ExitCodes.Cancelled;
        }
    }

    /// <summary>The admin kubeconfig from the master (privileged read over SSH, host key trusted on first use),
    /// pointed at the master's public address, written 0600 in the cluster's folder.</summary>
    private async Task FetchKubeconfigAsync(string cluster, string? privateKeyPath, Settings settings, string down, CancellationToken cancellationToken)
    {
        var files = ClusterFiles.For(cluster, host.Variables);
        var master = (await nodes.FindAsync(cluster, cancellationToken)).FirstOrDefault(n => n.Role == NodeRole.Master);
        if (master?.Reachable is not { } address)
        {
            throw new NodeImagerException(
                $"Cluster {cluster} is ready, but its master has no address to fetch the kubeconfig from.",
                $"Fetch it by hand with `nodeimager ssh {cluster} -- sudo cat /etc/kubernetes/admin.conf`, or remove the cluster with `{down}`.");
        }

        try
        {
            var endpoint = NodeEndpoint.For(master, files, files.PrivateKey(privateKeyPath), settings.SshUser);
            var fetched = await KubeconfigFetcher.FetchAsync(endpoint, master.PublicAddress ?? address, files, settings.MergeKubeconfig, host.Variables, cancellationToken);
            console.WriteLine($"Kubeconfig: {fetched.ClusterKubeconfig}" + (fetched.MergedInto is { } into ? $" (merged into {into}, context {cluster})" : string.Empty));
            console.WriteLine($"Try: kubectl --kubeconfig {fetched.ClusterKubeconfig} get nodes");
        }
        catch (NodeImagerException e)
        {
            throw new NodeImagerException(
                $"Cluster {cluster} is ready, but its kubeconfig could not be fetched: {e.Message}",
                $"{e.Hint} Retry with `nodeimager ssh {cluster} -- sudo cat /etc/kubernetes/admin.conf`; remove the cluster with `{down}`.",
                ExitCodes.Failure,
                e);
        }
    }

    private static string RegionFlag(Settings settings, CloudSession session) =>
        settings.Region is null && settings.Profile is null ? string.Empty
        : $"{(settings.Profile is { } p ? $" --profile {p}" : string.Empty)} --region {session.Cloud.Region}";

    /// <summary>What changed since the last snapshot, one line per node whose state, phase or step moved.</summary>
    internal sealed class ProgressLines
    {
        private readonly Dictionary<string, string> last = [];

        public IEnumerable<string> Next(IReadOnlyList<NodeProgress> nodes)
        {
            foreach (var node in nodes)
            {
                var now = $"{node.InstanceState} {node.Phase} {node.Step}";
                if (last.TryGetValue(node.InstanceId, out var before) && before == now)
                {
                    continue;
                }

                last[node.InstanceId] = now;
                var step = node.Step.Length > 0 && node.Step != node.Phase ? $" ({node.Step})" : string.Empty;
                yield return $"  {Elapsed(node)}  {node.Role.Name()} {node.InstanceId}: {node.InstanceState}, {node.Phase}{step}";
            }
        }
    }

    internal static Table NodeTable(IReadOnlyList<NodeProgress> nodes)
    {
        var table = new Table().AddColumns("Role", "Instance", "State", "Phase", "Step", "Elapsed");
        Fill(table, nodes);
        return table;
    }

    internal static void Fill(Table table, IReadOnlyList<NodeProgress> nodes)
    {
        table.Rows.Clear();
        foreach (var node in nodes)
        {
            table.AddRow(node.Role.Name(), node.InstanceId, Markup.Escape(node.InstanceState), PhaseMarkup.Of(node.Phase), Markup.Escape(node.Step), Elapsed(node));
        }
    }

    /// <summary>How long a node has been at it, as <c>3m07s</c>.</summary>
    private static string Elapsed(NodeProgress node) => $"{(int)node.Elapsed.TotalMinutes}m{node.Elapsed.Seconds:00}s";
}
