using Amazon.EC2;
using Amazon.EC2.Model;

namespace NodeImager.Aws;

/// <summary>The one shape of RunInstances the tool sends, for cluster nodes and image builders alike: IMDSv2 only, an
/// encrypted gp3 root volume that goes with the instance, instance and volume tagged, and a client token. What differs
/// between them (counts, names, key, what a shutdown does) is said by the caller.</summary>
internal sealed record HardenedLaunch
{
    public required string ImageId { get; init; }

    public required string InstanceType { get; init; }

    public int Count { get; init; } = 1;

    public required string SubnetId { get; init; }

    public required string SecurityGroupId { get; init; }

    public string? KeyName { get; init; }

    public string? InstanceProfile { get; init; }

    public required byte[] UserData { get; init; }

    public int MetadataHopLimit { get; init; } = 1;

    public required string RootDeviceName { get; init; }

    public required int RootVolumeGiB { get; init; }

    public required IReadOnlyDictionary<string, string> Tags { get; init; }

    /// <summary>The instance's Name tag (unless the tags carry one).</summary>
    public required string Name { get; init; }

    /// <summary>What a shutdown on the instance does; no default, each caller has its reason.</summary>
    public required ShutdownBehavior ShutdownBehavior { get; init; }

    /// <summary>A new request with a new client token: send it again (retries) as it is, so the same token makes
    /// EC2 return the instances of the first call instead of starting more.</summary>
    public RunInstancesRequest ToRequest() => new()
    {
        ImageId = ImageId,
        InstanceType = Amazon.EC2.InstanceType.FindValue(InstanceType),
        MinCount = Count,
        MaxCount = Count,
        SubnetId = SubnetId,
        SecurityGroupIds = [SecurityGroupId],
        KeyName = KeyName,
        IamInstanceProfile = InstanceProfile is { } profile ? new IamInstanceProfileSpecification { Name = profile } : null,
        UserData = Convert.ToBase64String(UserData),
        MetadataOptions = new InstanceMetadataOptionsRequest
        {
            HttpTokens = HttpTokensState.Required,
            HttpEndpoint = InstanceMetadataEndpointState.Enabled,
            HttpPutResponseHopLimit = MetadataHopLimit,
        },
        BlockDeviceMappings =
        [
            new BlockDeviceMapping
            {
                DeviceName = RootDeviceName,
                Ebs = new EbsBlockDevice { VolumeType = VolumeType.Gp3, Encrypted = true, VolumeSize = RootVolumeGiB, DeleteOnTermination = true },
            },
        ],
        InstanceInitiatedShutdownBehavior = ShutdownBehavior,
        TagSpecifications =
        [
            ResourceTags.Specification(ResourceType.Instance, Tags, Name),
            ResourceTags.Specification(ResourceType.Volume, Tags, null),
        ],
        ClientToken = Guid.NewGuid().ToString("N"),
    };
}
