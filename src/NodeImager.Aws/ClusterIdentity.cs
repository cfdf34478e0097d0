using NodeImager.Core.Model;

namespace NodeImager.Aws;

/// <summary>The cluster's IAM roles and instance profiles, as the cloud needs them. A seam because IAM is reached
/// through the iam branch's IamQueryClient (there is no AWSSDK.IdentityManagement).</summary>
public interface IClusterIdentity
{
    /// <summary>Creates or finds the roles and profiles; returns the instance profile name per role.</summary>
    Task<IReadOnlyDictionary<NodeRole, string>> EnsureAsync(string cluster, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken);

    /// <summary>The cluster's role names (under IAM path /nodeimager/CLUSTER/).</summary>
    Task<IReadOnlyList<string>> FindRolesAsync(string cluster, CancellationToken cancellationToken);

    Task DeleteAsync(string cluster, CancellationToken cancellationToken);
}
