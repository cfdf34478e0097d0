using NodeImager.Core.Model;

namespace NodeImager.Core.Remote;

/// <summary>One node of a cluster as the operator reaches it. <see cref="SshPort"/> is 22 on EC2; tests use others.</summary>
public sealed record NodeAddress(string InstanceId, NodeRole Role, string? PublicAddress, string? PrivateAddress, int SshPort = 22)
{
    /// <summary>The address the operator's machine connects to: the public one, else the private one (VPN, peering).</summary>
    public string? Reachable => PublicAddress ?? PrivateAddress;
}

/// <summary>Finds the running nodes of a cluster (the AWS edge looks them up by tag). A seam so tests can point
/// commands at a local sshd.</summary>
public interface INodeDirectory
{
    /// <summary>Running nodes of <paramref name="cluster"/>, masters first, each role in launch order.</summary>
    Task<IReadOnlyList<NodeAddress>> FindAsync(string cluster, CancellationToken cancellationToken);
}

/// <summary>Picks a node by what the user typed: an instance id, <c>master</c>/<c>master-N</c> or <c>worker-N</c> (1-based).</summary>
public static class NodeSelector
{
    public static NodeAddress Select(string cluster, IReadOnlyList<NodeAddress> nodes, string? choice)
    {
        if (nodes.Count == 0)
        {
            throw new NodeImagerException(
                $"Cluster '{cluster}' has no running nodes.",
                "Check the name (nodeimager status) or create it with nodeimager up.");
        }

        var masters = nodes.Where(n => n.Role == NodeRole.Master).ToList();
        var workers = nodes.Where(n => n.Role == NodeRole.Worker).ToList();
        var choices = $"master, {(workers.Count > 0 ? $"worker-1..worker-{workers.Count}, " : "")}or an instance id ({string.Join(", ", nodes.Select(n => n.InstanceId))})";

        NodeAddress? picked;
        if (choice is null or "master")
        {
            picked = masters.FirstOrDefault();
        }
        else if (choice.StartsWith("i-", StringComparison.Ordinal))
        {
            picked = nodes.FirstOrDefault(n => n.InstanceId == choice);
        }
        else
        {
            picked = Indexed(choice, "master-", masters) ?? Indexed(choice, "worker-", workers);
        }

        if (picked is null)
        {
            throw new NodeImagerException($"Cluster '{cluster}' has no node '{choice ?? "master"}'.", $"Choose {choices}.", ExitCodes.BadInput);
        }

        if (picked.Reachable is null)
        {
            throw new NodeImagerException($"Node {picked.InstanceId} of cluster '{cluster}' has no address yet.", "It may still be starting; try again in a minute.");
        }

        return picked;
    }

    private static NodeAddress? Indexed(string choice, string prefix, List<NodeAddress> nodes) =>
        choice.StartsWith(prefix, StringComparison.Ordinal)
        && int.TryParse(choice.AsSpan(prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
        && n >= 1 && n <= nodes.Count
            ? nodes[n - 1]
            : null;
}
