using System.Collections.Concurrent;
using NodeImager.Core.Model;
using NodeImager.Core.Remote;

namespace NodeImager.SelfAssembly.Tests.Demo;

/// <summary>
/// Where the tool reaches simulated nodes over SSH: each node's loopback sshd port instead of the made-up addresses the
/// emulator reports (which are never dialled). The one seam the demo swaps into the CLI; everything else is the real
/// code path.
/// </summary>
public sealed class SimulatedNodeDirectory : INodeDirectory
{
    private readonly ConcurrentDictionary<string, NodeAddress> nodes = new();

    public void Add(string instanceId, NodeRole role, string privateAddress, int sshPort) =>
        nodes[instanceId] = new NodeAddress(instanceId, role, "127.0.0.1", privateAddress, sshPort);

    public Task<IReadOnlyList<NodeAddress>> FindAsync(string cluster, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<NodeAddress>>([.. nodes.Values
            .OrderBy(n => n.Role == NodeRole.Master ? 0 : 1)
            .ThenBy(n => n.InstanceId, StringComparer.Ordinal)]);
}
