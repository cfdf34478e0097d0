using NodeImager.Core.Model;

namespace NodeImager.Core.Orchestration;

/// <summary>One node as the wait loop sees it: EC2's state plus the phase the node itself reported.</summary>
public sealed record NodeProgress(string InstanceId, NodeRole Role, string InstanceState, string Phase, string Step, TimeSpan Elapsed, NodeStatusReport? Report);

public sealed record WaitSnapshot(IReadOnlyList<NodeProgress> Nodes)
{
    public bool AllReady => Nodes.Count > 0 && Nodes.All(n => n.Phase == "ready");

    public NodeProgress? Failed => Nodes.FirstOrDefault(n => n.Phase == "failed");
}

/// <summary>Waits for the nodes to report <c>ready</c>: per poll one GetParametersByPath on the status path and one
/// DescribeInstances, whatever the cluster's size. Fails fast on the first <c>failed</c> node.</summary>
public sealed class ClusterWatcher(IClusterCloud cloud, TimeProvider clock)
{
    public async Task<WaitSnapshot> WaitAsync(
        string cluster,
        IReadOnlyDictionary<NodeRole, IReadOnlyList<string>> instances,
        TimeSpan timeout,
        TimeSpan pollInterval,
        Action<WaitSnapshot> onUpdate,
        CancellationToken cancellationToken)
    {
        var started = clock.GetUtcNow();
        var roles = instances.SelectMany(kv => kv.Value.Select(id => (id, role: kv.Key))).ToDictionary(x => x.id, x => x.role);
        while (true)
        {
            var snapshot = await PollAsync(cluster, roles, started, cancellationToken);
            onUpdate(snapshot);
            if (snapshot.Failed is { } failed)
            {
                var tail = failed.Report?.LogTail is { Length: > 0 } log ? $"\nLast log lines:\n{log}" : string.Empty;
                throw new NodeImagerException(
                    $"{failed.Role.Name()} {failed.InstanceId} failed at step '{failed.Step}': {failed.Report?.Message ?? "no message"}{tail}",
                    $"Everything is tagged nodeimager:cluster={cluster}; remove it with `nodeimager down {cluster}`.");
            }

            var gone = snapshot.Nodes.FirstOrDefault(n => n.InstanceState is "terminated" or "shutting-down" or "stopped" or "stopping");
            if (gone is not null)
            {
                throw new NodeImagerException(
                    $"{gone.Role.Name()} {gone.InstanceId} is {gone.InstanceState} before it became ready.",
                    $"Check the EC2 console for the state reason; remove the cluster with `nodeimager down {cluster}`.");
            }

            if (snapshot.AllReady)
            {
                return snapshot;
            }

            if (clock.GetUtcNow() - started >= timeout)
            {
                var waiting = snapshot.Nodes.Where(n => n.Phase != "ready").Select(n => $"{n.InstanceId} ({n.Phase}/{n.Step})");
                throw new NodeImagerException(
                    $"Timed out after {ClusterFormat(timeout)} waiting for: {string.Join(", ", waiting)}.",
                    $"The cluster is still there: follow it with `nodeimager status {cluster}`, or remove it with `nodeimager down {cluster}`.");
            }

            await Task.Delay(pollInterval, clock, cancellationToken);
        }
    }

    public async Task<WaitSnapshot> PollAsync(string cluster, IReadOnlyDictionary<string, NodeRole> roles, DateTimeOffset started, CancellationToken cancellationToken)
    {
        var statusTask = cloud.ReadNodeStatusAsync(cluster, cancellationToken);
        var instancesTask = cloud.FindInstancesAsync(cluster, cancellationToken);
        var statuses = (await statusTask).ToDictionary(s => s.InstanceId);
        var states = (await instancesTask).ToDictionary(i => i.InstanceId);
        var now = clock.GetUtcNow();
        var nodes = roles
            .OrderBy(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv =>
            {
                var report = statuses.GetValueOrDefault(kv.Key);
                var state = states.TryGetValue(kv.Key, out var instance) ? instance.State : "terminated";
                return new NodeProgress(kv.Key, kv.Value, state, report?.Phase ?? "booting", report?.Step ?? string.Empty, now - started, report);
            })
            .ToList();
        return new WaitSnapshot(nodes);
    }

    private static string ClusterFormat(TimeSpan span) => Configuration.ClusterSpecLoader.Format(span);
}
