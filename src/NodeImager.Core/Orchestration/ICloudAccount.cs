namespace NodeImager.Core.Orchestration;

/// <summary>
/// What clusters and golden images both need of the account: who calls, where, which network and base image, and the
/// deletes both clean up with. The shared part of <see cref="IClusterCloud"/> and <see cref="Images.IImageCloud"/>,
/// which stay separate seams so bake does not widen the cluster's (and the other way round).
/// </summary>
public interface ICloudAccount
{
    /// <summary>The region every call goes to.</summary>
    string Region { get; }

    /// <summary>Who is calling (STS GetCallerIdentity): becomes the <c>nodeimager:creator</c> tag.</summary>
    Task<string> GetCallerArnAsync(CancellationToken cancellationToken);

    /// <summary>The VPC and subnet instances go into: the given subnet's VPC, or the default VPC.</summary>
    Task<CloudNetwork> DiscoverNetworkAsync(string? subnetId, CancellationToken cancellationToken);

    /// <summary>The AMI for a stock Ubuntu release (SSM public parameter, then DescribeImages by Canonical).</summary>
    Task<CloudImage> FindStockImageAsync(string ubuntuRelease, CancellationToken cancellationToken);

    /// <summary>Checks an explicitly given AMI exists.</summary>
    Task<CloudImage> DescribeImageAsync(string imageId, CancellationToken cancellationToken);

    /// <summary>Deletes a group; throws <see cref="CloudDependencyException"/> while something (an instance, another
    /// group's rule) still uses it. Gone is fine.</summary>
    Task DeleteSecurityGroupAsync(string groupId, CancellationToken cancellationToken);

    /// <summary>Deletes parameters by name (in pages of ten). Gone is fine.</summary>
    Task DeleteParametersAsync(IReadOnlyList<string> names, CancellationToken cancellationToken);
}
