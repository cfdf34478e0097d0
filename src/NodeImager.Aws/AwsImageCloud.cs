using System.Globalization;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.SimpleSystemsManagement.Model;
using NodeImager.Aws.Iam;
using NodeImager.Core.Images;
using NodeImager.Core.Model;
using NodeImager.Core.Orchestration;
using Ec2Filter = Amazon.EC2.Model.Filter;
using Ec2Tag = Amazon.EC2.Model.Tag;

namespace NodeImager.Aws;

/// <summary>The image cloud on AWS: builder and images through EC2/SSM (every call through <see cref="AwsCalls"/>),
/// the builder's identity through the IAM query client. Lookups it shares with <c>up</c> (caller, network, stock
/// images, group and parameter deletion) go through the cluster cloud, so both commands find the same things.</summary>
public sealed class AwsImageCloud : IImageCloud, IDisposable
{
    private readonly AwsConnection connection;
    private readonly IClusterCloud clusters;
    private readonly IamQueryClient iam;
    private readonly BuilderIdentity identity;

    public AwsImageCloud(AwsConnection connection, IClusterCloud clusters)
    {
        this.connection = connection;
        this.clusters = clusters;
        iam = connection.OpenIam();
        identity = new BuilderIdentity(iam);
    }

    /// <summary>How long a launch retries while a new instance profile is not yet visible to EC2 (IAM is eventually
    /// consistent: RunInstances right after CreateInstanceProfile can fail with InvalidParameterValue for seconds).</summary>
    public TimeSpan ProfilePropagation { get; init; } = TimeSpan.FromSeconds(90);

    public string Region => connection.Region;

    private AwsCalls Calls => connection.Calls;

    private IAmazonEC2 Ec2 => connection.Ec2;

    public Task<string> GetCallerArnAsync(CancellationToken cancellationToken) => clusters.GetCallerArnAsync(cancellationToken);

    public Task<CloudNetwork> DiscoverNetworkAsync(string? subnetId, CancellationToken cancellationToken) => clusters.DiscoverNetworkAsync(subnetId, cancellationToken);

    public Task<CloudImage> FindStockImageAsync(string ubuntuRelease, CancellationToken cancellationToken) => clusters.FindStockImageAsync(ubuntuRelease, cancellationToken);

    public Task<CloudImage> DescribeImageAsync(string imageId, CancellationToken cancellationToken) => clusters.DescribeImageAsync(imageId, cancellationToken);

    public async Task<string> CreateBuilderGroupAsync(string vpcId, string name, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        // No AuthorizeSecurityGroupIngress: nothing may connect to a builder; the default egress rule lets it download.
        var response = await Calls.RunAsync($"creating security group {name}", ct => Ec2.CreateSecurityGroupAsync(
            new CreateSecurityGroupRequest
            {
                GroupName = name,
                Description = "NodeImager golden-image builder: no ingress",
                VpcId = vpcId,
                TagSpecifications = [ResourceTags.Specification(ResourceType.SecurityGroup, tags, name)],
            },
            ct), cancellationToken);
        return response.GroupId;
    }

    public Task<string> CreateBuilderIdentityAsync(string bake, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken) =>
        Calls.RunAsync($"creating the builder's IAM role and instance profile {BuilderIdentity.Name(bake)}", ct => identity.CreateAsync(bake, tags, ct), cancellationToken);

    public async Task<string> LaunchBuilderAsync(BuilderLaunch launch, CancellationToken cancellationToken)
    {
        // A retried RunInstances (throttling, profile propagation) sends this same request, client token included,
        // so EC2 returns the same instance instead of starting a second.
        var run = new HardenedLaunch
        {
            ImageId = launch.ImageId,
            InstanceType = launch.InstanceType,
            SubnetId = launch.SubnetId,
            SecurityGroupId = launch.SecurityGroupId,
            InstanceProfile = launch.InstanceProfile,
            UserData = launch.UserData,
            RootDeviceName = launch.RootDeviceName,
            RootVolumeGiB = launch.RootVolumeGiB,
            Tags = launch.Tags,
            Name = $"nodeimager-{launch.Tags[ClusterNaming.ClusterTag]}",
            // The builder ends with `systemctl poweroff`. Stop (not terminate) keeps the instance and its root volume,
            // so CreateImage can image the powered-off disk: consistent, with no reboot and nothing still writing.
            ShutdownBehavior = ShutdownBehavior.Stop,
        }.ToRequest();

        var waited = TimeSpan.Zero;
        while (true)
        {
            try
            {
                var response = await Calls.RunAsync($"launching the builder ({launch.InstanceType})", ct => Ec2.RunInstancesAsync(run, ct), cancellationToken);
                return response.Reservation.Instances[0].InstanceId;
            }
            catch (AwsCallException e) when (e.ErrorCode == "InvalidParameterValue" && e.Message.Contains("nstance", StringComparison.Ordinal)
                && e.Message.Contains("rofile", StringComparison.Ordinal) && waited < ProfilePropagation)
            {
                var step = TimeSpan.FromSeconds(5);
                await Task.Delay(step, cancellationToken);
                waited += step;
            }
        }
    }

    public async Task<string?> GetInstanceStateAsync(string instanceId, CancellationToken cancellationToken)
    {
        var reservations = await Calls.RunAsync($"reading the state of builder {instanceId}", async ct => (await Ec2.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = [instanceId] }, ct)).Reservations ?? [],
            notFound: ["InvalidInstanceID.NotFound"], none: [], cancellationToken);
        return reservations.SelectMany(r => r.Instances ?? []).FirstOrDefault()?.State?.Name?.Value;
    }

    public async Task<BuilderStatus?> ReadBuilderStatusAsync(string parameterName, CancellationToken cancellationToken)
    {
        var value = await Calls.RunAsync($"reading the builder's status {parameterName}", async ct => (await connection.Ssm.GetParameterAsync(new GetParameterRequest { Name = parameterName }, ct)).Parameter?.Value,
            notFound: ["ParameterNotFound"], none: null, cancellationToken);
        return value is null ? null : BuilderStatus.Parse(value);
    }

    public async Task<string> CreateImageAsync(string instanceId, string name, string description, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        var response = await Calls.RunAsync($"creating image {name} from builder {instanceId}", ct => Ec2.CreateImageAsync(
            new CreateImageRequest
            {
                InstanceId = instanceId,
                Name = name,
                Description = description,
                // Snapshots are tagged once the image exists (their ids are known then); some EC2 emulators refuse
                // snapshot tag specifications here.
                TagSpecifications = [ResourceTags.Specification(ResourceType.Image, tags, null)],
            },
            ct), cancellationToken);
        return response.ImageId;
    }

    public async Task<BakedImage?> FindImageAsync(string imageId, CancellationToken cancellationToken)
    {
        var images = await Calls.RunAsync($"looking up image {imageId}", async ct => (await Ec2.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [imageId] }, ct)).Images ?? [],
            notFound: ["InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"], none: [], cancellationToken);
        return images.Select(ToBakedImage).FirstOrDefault();
    }

    public async Task<IReadOnlyList<BakedImage>> ListImagesAsync(string? recipe, CancellationToken cancellationToken)
    {
        var filter = recipe is null ? new Ec2Filter("tag-key", [ImageTags.Recipe]) : new Ec2Filter($"tag:{ImageTags.Recipe}", [recipe]);
        var images = new List<Image>();
        await Calls.RunAsync(recipe is null ? "listing golden images" : $"listing golden images of recipe {recipe}", async ct =>
        {
            images.Clear();
            await foreach (var image in Ec2.Paginators.DescribeImages(new DescribeImagesRequest { Owners = ["self"], Filters = [filter] }).Images.WithCancellation(ct))
            {
                images.Add(image);
            }
        }, cancellationToken);
        return [.. images.Select(ToBakedImage)];
    }

    public Task TagAsync(IReadOnlyList<string> resourceIds, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken) =>
        Calls.RunAsync($"tagging {string.Join(", ", resourceIds)}", ct => Ec2.CreateTagsAsync(
            new CreateTagsRequest { Resources = [.. resourceIds], Tags = [.. tags.Select(t => new Ec2Tag(t.Key, t.Value))] }, ct), cancellationToken);

    public Task DeregisterImageAsync(string imageId, CancellationToken cancellationToken) =>
        Calls.RunAsync($"deregistering image {imageId}", ct => Ec2.DeregisterImageAsync(new DeregisterImageRequest { ImageId = imageId }, ct),
            notFound: ["InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"], cancellationToken);

    public Task DeleteSnapshotAsync(string snapshotId, CancellationToken cancellationToken) =>
        Calls.RunAsync($"deleting snapshot {snapshotId}", ct => Ec2.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshotId }, ct),
            notFound: ["InvalidSnapshot.NotFound"], cancellationToken);

    public Task TerminateInstanceAsync(string instanceId, CancellationToken cancellationToken) => clusters.TerminateInstancesAsync([instanceId], cancellationToken);

    public Task DeleteSecurityGroupAsync(string groupId, CancellationToken cancellationToken) => clusters.DeleteSecurityGroupAsync(groupId, cancellationToken);

    public Task DeleteBuilderIdentityAsync(string bake, CancellationToken cancellationToken) =>
        Calls.RunAsync($"deleting the builder's IAM role and instance profile {BuilderIdentity.Name(bake)}", ct => identity.DeleteAsync(bake, ct), cancellationToken);

    public Task<IReadOnlyList<BuilderIdentityInfo>> ListBuilderIdentitiesAsync(CancellationToken cancellationToken) =>
        Calls.RunAsync($"listing the builder IAM roles under {BuilderIdentity.IamPath}", identity.ListAsync, cancellationToken);

    public async Task<BuilderResources> FindBuilderResourcesAsync(string bake, CancellationToken cancellationToken)
    {
        var inventory = await clusters.FindClusterResourcesAsync(bake, cancellationToken);
        return new BuilderResources(
            [.. inventory.Instances.Where(i => i.State != "terminated").Select(i => i.InstanceId)],
            [.. inventory.SecurityGroups.Select(g => g.Id)],
            inventory.Parameters);
    }

    public Task DeleteParametersAsync(IReadOnlyList<string> names, CancellationToken cancellationToken) => clusters.DeleteParametersAsync(names, cancellationToken);

    public void Dispose() => iam.Dispose();

    private static BakedImage ToBakedImage(Image image) => new(
        image.ImageId,
        image.Name ?? image.ImageId,
        image.State?.Value ?? "unknown",
        DateTimeOffset.TryParse(image.CreationDate, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created) ? created : null,
        (image.Tags ?? []).GroupBy(t => t.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal),
        [.. (image.BlockDeviceMappings ?? []).Select(m => m.Ebs?.SnapshotId).OfType<string>()]);
}
