using NodeImager.Core.Model;
using NodeImager.Core.Remote;

namespace NodeImager.Aws;

/// <summary>The running nodes of a cluster, found by their <c>nodeimager:cluster</c> tag, for ssh and logs. AWS is
/// reached through the standard chain of the given environment (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL...).</summary>
public sealed class AwsNodeDirectory(IReadOnlyDictionary<string, string> environment, AwsOptions? options = null) : INodeDirectory
{
    public async Task<IReadOnlyList<NodeAddress>> FindAsync(string cluster, CancellationToken cancellationToken)
    {
        using var connection = AwsConnection.Open(options ?? new AwsOptions(), environment);
        using var identity = new IamClusterIdentity(connection);
        var instances = await new AwsClusterCloud(connection, identity).FindInstancesAsync(cluster, cancellationToken);
        return [.. instances
            .Where(i => i.State is "running" && i.Role is not null)
            .OrderBy(i => i.Role == NodeRole.Master ? 0 : 1)
            .ThenBy(i => i.LaunchTime)
            .ThenBy(i => i.InstanceId, StringComparer.Ordinal)
            .Select(i => new NodeAddress(i.InstanceId, i.Role!.Value, i.PublicIp, i.PrivateIp))];
    }
}
