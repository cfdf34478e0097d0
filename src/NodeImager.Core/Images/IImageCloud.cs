using NodeImager.Core.Orchestration;

namespace NodeImager.Core.Images;

/// <summary>
/// The cloud as bake and the image commands see it: a builder instance with its temporary group, identity and status
/// parameter, and the golden images made from it. A seam separate from <see cref="IClusterCloud"/> so bake does not
/// widen the cluster seam; implemented in NodeImager.Aws (AwsImageCloud), faked in unit tests.
/// </summary>
public interface IImageCloud : ICloudAccount
{
    /// <summary>A security group with no ingress rule at all (the builder needs only outbound traffic).</summary>
    Task<string> CreateBuilderGroupAsync(string vpcId, string name, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken);

    /// <summary>A role + instance profile allowed only to write the builder's status parameters; returns the profile name.</summary>
    Task<string> CreateBuilderIdentityAsync(string bake, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken);

    /// <summary>Launches the one builder instance; returns its id.</summary>
    Task<string> LaunchBuilderAsync(BuilderLaunch launch, CancellationToken cancellationToken);

    /// <summary>The instance's state name (pending, running, stopping, stopped, terminated...); null when it is unknown.</summary>
    Task<string?> GetInstanceStateAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>What the builder last wrote to its status parameter; null while it has written nothing.</summary>
    Task<BuilderStatus?> ReadBuilderStatusAsync(string parameterName, CancellationToken cancellationToken);

    /// <summary>CreateImage of the (stopped) builder; returns the new image id. The tags go on the image at once.</summary>
    Task<string> CreateImageAsync(string instanceId, string name, string description, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken);

    /// <summary>One image of this account with its tags and snapshots; null when it does not exist.</summary>
    Task<BakedImage?> FindImageAsync(string imageId, CancellationToken cancellationToken);

    /// <summary>Images of this account tagged <c>nodeimager:recipe</c> (any value, or the given one).</summary>
    Task<IReadOnlyList<BakedImage>> ListImagesAsync(string? recipe, CancellationToken cancellationToken);

    /// <summary>Adds tags to images, snapshots or other EC2 resources.</summary>
    Task TagAsync(IReadOnlyList<string> resourceIds, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken);

    Task DeregisterImageAsync(string imageId, CancellationToken cancellationToken);

    Task DeleteSnapshotAsync(string snapshotId, CancellationToken cancellationToken);

    Task TerminateInstanceAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Removes the builder's role, its policy and instance profile. Gone is fine.</summary>
    Task DeleteBuilderIdentityAsync(string bake, CancellationToken cancellationToken);

    /// <summary>Every builder identity (role + instance profile) that exists, whichever bake made it.</summary>
    Task<IReadOnlyList<BuilderIdentityInfo>> ListBuilderIdentitiesAsync(CancellationToken cancellationToken);

    /// <summary>What of one bake still exists, found by its <c>nodeimager:cluster</c> tag and parameter path (so a
    /// launch whose answer never arrived, e.g. on Ctrl-C, is cleaned up too).</summary>
    Task<BuilderResources> FindBuilderResourcesAsync(string bake, CancellationToken cancellationToken);

}

/// <summary>Everything the one RunInstances of a bake needs.</summary>
public sealed record BuilderLaunch
{
    public required string ImageId { get; init; }

    public string RootDeviceName { get; init; } = "/dev/sda1";

    public required string InstanceType { get; init; }

    public required string SubnetId { get; init; }

    public required string SecurityGroupId { get; init; }

    public required string InstanceProfile { get; init; }

    public required byte[] UserData { get; init; }

    public required IReadOnlyDictionary<string, string> Tags { get; init; }

    public int RootVolumeGiB { get; init; } = 30;
}

/// <summary>What is left of one bake: instances not yet terminated, security groups, parameters.</summary>
public sealed record BuilderResources(IReadOnlyList<string> InstanceIds, IReadOnlyList<string> GroupIds, IReadOnlyList<string> Parameters)
{
    public bool IsEmpty => InstanceIds.Count == 0 && GroupIds.Count == 0 && Parameters.Count == 0;
}

/// <summary>The builder's status parameter: the node-side contract's JSON, plus runtime versions when it reports them.</summary>
public sealed record BuilderStatus(NodeStatusReport Report, IReadOnlyDictionary<string, string> RuntimeVersions)
{
    /// <summary>Optional fields a builder may add to its status JSON, and the image tag each becomes.</summary>
    public static IReadOnlyDictionary<string, string> RuntimeFields { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["containerdVersion"] = "nodeimager:containerd-version",
        ["dockerVersion"] = "nodeimager:docker-version",
    };

    public static BuilderStatus? Parse(string json)
    {
        if (NodeStatusReport.Parse(json) is not { } report)
        {
            return null;
        }

        var versions = new Dictionary<string, string>(StringComparer.Ordinal);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        foreach (var (field, tag) in RuntimeFields)
        {
            if (doc.RootElement.TryGetProperty(field, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String && v.GetString() is { Length: > 0 } text)
            {
                versions[tag] = text;
            }
        }

        return new BuilderStatus(report, versions);
    }
}

/// <summary>A golden image as the account holds it.</summary>
public sealed record BakedImage(
    string ImageId,
    string Name,
    string State,
    DateTimeOffset? CreatedAt,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> SnapshotIds)
{
    public string? Recipe => Tags.GetValueOrDefault(ImageTags.Recipe);

    public string? RecipeHash => Tags.GetValueOrDefault(ImageTags.RecipeHash);

    public string? KubernetesVersion => Tags.GetValueOrDefault(ImageTags.KubernetesVersion);

    /// <summary>When it was built: the built-at tag (to the second, set by bake), else EC2's creation date.</summary>
    public DateTimeOffset? BuiltAt =>
        DateTimeOffset.TryParse(Tags.GetValueOrDefault(ImageTags.BuiltAt), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : CreatedAt;
}
