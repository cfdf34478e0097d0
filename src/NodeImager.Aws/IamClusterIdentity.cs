using NodeImager.Aws.Iam;
using NodeImager.Core.Model;

namespace NodeImager.Aws;

/// <summary>The cluster's IAM roles and instance profiles through <see cref="NodeIdentity"/> and the IAM query client,
/// with its requests counted, retried and explained by <see cref="AwsCalls"/> like every other AWS call.</summary>
public sealed class IamClusterIdentity : IClusterIdentity, IDisposable
{
    private readonly AwsCalls calls;
    private readonly IamQueryClient iam;
    private readonly NodeIdentity identity;

    public IamClusterIdentity(AwsConnection connection)
    {
        calls = connection.Calls;
        iam = connection.OpenIam();
        identity = new NodeIdentity(iam);
    }

    public async Task<IReadOnlyDictionary<NodeRole, string>> EnsureAsync(string cluster, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        var profiles = await calls.RunAsync($"creating the IAM roles and instance profiles of cluster {cluster}", ct => identity.EnsureAsync(cluster, tags, ct), cancellationToken);
        return profiles.ToDictionary(p => p.Role, p => p.InstanceProfileName);
    }

    public async Task<IReadOnlyList<string>> FindRolesAsync(string cluster, CancellationToken cancellationToken)
    {
        var roles = await calls.RunAsync($"listing the IAM roles of cluster {cluster}", ct => iam.ListRolesAsync(NodeIdentityPolicy.Path(cluster), ct), cancellationToken);
        return [.. roles.Select(r => r.RoleName)];
    }

    public Task DeleteAsync(string cluster, CancellationToken cancellationToken) =>
        calls.RunAsync($"deleting the IAM roles and instance profiles of cluster {cluster}", ct => identity.DeleteAsync(cluster, ct), cancellationToken);

    public void Dispose() => iam.Dispose();
}
