using System.Globalization;
using System.Text;
using NodeImager.Core.Model;

namespace NodeImager.SelfAssembly.Tests.Simulation;

/// <summary>One instance the emulator reports, booted as a simulated node: its own overlay root, its own metadata
/// service, its real user-data run by the cloud-init runner.</summary>
public sealed class SimulatedNode : IAsyncDisposable
{
    private readonly CloudInitRunner runner;
    private readonly InstanceMetadataService metadataService;
    private Task<int>? boot;

    private readonly IEnumerable<string> accessKeys;

    internal SimulatedNode(string instanceId, NodeRole role, string roleTag, InstanceMetadata metadata, NodeRoot root, InstanceMetadataService metadataService, CloudInitRunner runner, IEnumerable<string> accessKeys)
    {
        this.accessKeys = accessKeys;
        InstanceId = instanceId;
        Role = role;
        RoleTag = roleTag;
        Metadata = metadata;
        Root = root;
        this.metadataService = metadataService;
        this.runner = runner;
    }

    public string InstanceId { get; }

    public NodeRole Role { get; }

    /// <summary>The nodeimager:role tag: master, worker or builder.</summary>
    public string RoleTag { get; }

    public InstanceMetadata Metadata { get; }

    public NodeRoot Root { get; }

    /// <summary>Requests the node's metadata service answered ("METHOD PATH STATUS").</summary>
    public IReadOnlyList<string> MetadataRequests => metadataService.Requests;

    public IReadOnlyList<StageResult> Stages => runner.Stages;

    /// <summary>The role credentials' access key ids the node's metadata service handed out.</summary>
    public IReadOnlySet<string> AccessKeyIds => accessKeys.ToHashSet();

    /// <summary>Every stand-in call, one line each.</summary>
    public string StandInLog => Root.ReadFile("/var/log/standins.log") ?? string.Empty;

    public string CloudInitOutput => Root.ReadFile(CloudInitRunner.OutputLog) ?? string.Empty;

    public IEnumerable<string> StandInCalls(string tool) =>
        StandInLog.Split('\n').Select(l => l.Split(' ', 2)).Where(p => p.Length == 2 && (p[1].StartsWith(tool + " ", StringComparison.Ordinal) || p[1] == tool)).Select(p => p[1]);

    public bool Booted => boot is not null;

    /// <summary>Starts cloud-init's run; returns at once.</summary>
    public void Boot(CancellationToken cancellationToken)
    {
        if (boot is not null)
        {
            throw new InvalidOperationException($"{InstanceId} booted twice");
        }

        boot = Task.Run(() => runner.RunAsync(Metadata.UserData, InstanceId, cancellationToken), cancellationToken);
    }

    /// <summary>The runcmd script's exit code once cloud-init's run ends.</summary>
    public Task<int> Finished => boot ?? throw new InvalidOperationException($"{InstanceId} was never booted");

    /// <summary>Runs a shell command line inside the node with the same environment as its boot (e.g. a timer's
    /// ExecStart).</summary>
    public Task<int> RunAsync(string commandLine, CancellationToken cancellationToken) =>
        runner.RunInNodeAsync(["/bin/sh", "-c", commandLine], "command", cancellationToken);

    /// <summary>ExecStart of a systemd unit the node wrote, run the way the unit would run it: what a timer firing
    /// does.</summary>
    public Task<int> FireUnitAsync(string unit, CancellationToken cancellationToken)
    {
        var text = Root.ReadFile($"/etc/systemd/system/{unit}") ?? throw new InvalidOperationException($"{InstanceId} has no unit {unit}");
        var exec = text.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("ExecStart=", StringComparison.Ordinal)).ToList();
        if (exec.Count != 1)
        {
            throw new InvalidOperationException($"{unit} must have exactly one ExecStart (has {exec.Count})");
        }

        var environment = text.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("Environment=", StringComparison.Ordinal)).Select(l => l["Environment=".Length..]).ToList();
        var command = exec[0]["ExecStart=".Length..].TrimStart('-', '@', '+', '!', ':');
        var prefix = environment.Count == 0 ? string.Empty : "export " + string.Join(' ', environment) + "; ";
        return runner.RunInNodeAsync(["/bin/sh", "-c", prefix + "exec " + command], $"unit {unit}", cancellationToken);
    }

    internal static string SettingsFile(IReadOnlyDictionary<string, string> settings)
    {
        var text = new StringBuilder("# Written by the node simulator for the stand-ins; not part of the node's environment.\n");
        foreach (var (key, value) in settings)
        {
            text.Append(CultureInfo.InvariantCulture, $"{key}={CloudConfig.ShellQuote(value)}\n");
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        runner.Kill();
        if (boot is not null)
        {
            try
            {
                await boot.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException or CloudConfigException or InvalidOperationException)
            {
                // Disposal must go on: the mounts matter more than how the run ended.
            }
        }

        await KillStraysAsync();
        await metadataService.DisposeAsync();
        await Root.DisposeAsync();
    }

    /// <summary>Anything still running with this node's root (a background job the scripts left) is killed, so the
    /// overlay can be unmounted.</summary>
    private async Task KillStraysAsync()
    {
        foreach (var proc in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(System.IO.Path.GetFileName(d), out _)))
        {
            try
            {
                var target = new DirectoryInfo(System.IO.Path.Combine(proc, "root")).LinkTarget;
                if (target == Root.Path)
                {
                    await HostCommand.RunAsync("kill", "-KILL", System.IO.Path.GetFileName(proc));
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
