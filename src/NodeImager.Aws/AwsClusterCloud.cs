using System.Globalization;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.SecurityToken.Model;
using Amazon.SimpleSystemsManagement.Model;
using NodeImager.Core;
using NodeImager.Core.Model;
using NodeImager.Core.Orchestration;
using Ec2Filter = Amazon.EC2.Model.Filter;
using Ec2Tag = Amazon.EC2.Model.Tag;

namespace NodeImager.Aws;

/// <summary>The cluster cloud on AWS: EC2, SSM and STS through the SDK, IAM through <see cref="IClusterIdentity"/>.
/// Every call goes through <see cref="AwsCalls"/>; lists use the SDK paginators.</summary>
public sealed class AwsClusterCloud(AwsConnection connection, IClusterIdentity identity) : IClusterCloud
{
    public const string CanonicalOwner = "099720109477";
    public const string RecipeTag = "nodeimager:recipe";
    public const string KubernetesVersionTag = "nodeimager:kubernetes-version";

    private static readonly List<string> LiveStates = ["pending", "running", "stopping", "stopped", "shutting-down"];

    private AwsCalls Calls => connection.Calls;

    private IAmazonEC2 Ec2 => connection.Ec2;

    public string Region => connection.Region;

    public async Task<string> GetCallerArnAsync(CancellationToken cancellationToken)
    {
        var response = await Calls.RunAsync("asking who the caller is (sts GetCallerIdentity)", ct => connection.Sts.GetCallerIdentityAsync(new GetCallerIdentityRequest(), ct), cancellationToken);
        return response.Arn;
    }

    public async Task<CloudNetwork> DiscoverNetworkAsync(string? subnetId, CancellationToken cancellationToken)
    {
        Subnet subnet;
        if (subnetId is not null)
        {
            var subnets = await Calls.RunAsync($"looking up subnet {subnetId}", async ct => (await Ec2.DescribeSubnetsAsync(new DescribeSubnetsRequest { SubnetIds = [subnetId] }, ct)).Subnets ?? [],
                notFound: ["InvalidSubnetID.NotFound"], none: [], cancellationToken);
            subnet = subnets.FirstOrDefault() ?? throw new NodeImagerException(
                $"Subnet {subnetId} does not exist in {Region}.", "Pass a subnet of this region with --subnet-id (aws ec2 describe-subnets), or pick the region with --region.", ExitCodes.BadInput);
        }
        else
        {
            var vpcs = await Calls.RunAsync("looking for the default VPC", async ct => await Collect(
                Ec2.Paginators.DescribeVpcs(new DescribeVpcsRequest { Filters = [new Ec2Filter("is-default", ["true"])] }).Vpcs, ct), cancellationToken);
            var vpc = vpcs.FirstOrDefault() ?? throw new NodeImagerException(
                $"There is no default VPC in {Region}.",
                "Pass --subnet-id with a subnet (in a VPC with an internet gateway) for the nodes, or create a default VPC with `aws ec2 create-default-vpc`.",
                ExitCodes.BadInput);
            var subnets = await Calls.RunAsync($"listing the subnets of {vpc.VpcId}", async ct => await Collect(
                Ec2.Paginators.DescribeSubnets(new DescribeSubnetsRequest { Filters = [new Ec2Filter("vpc-id", [vpc.VpcId])] }).Subnets, ct), cancellationToken);
            subnet = subnets
                .OrderByDescending(s => s.DefaultForAz == true)
                .ThenBy(s => s.AvailabilityZone, StringComparer.Ordinal)
                .FirstOrDefault() ?? throw new NodeImagerException(
                    $"The default VPC {vpc.VpcId} has no subnets.", "Pass --subnet-id, or recreate the default subnets with `aws ec2 create-default-subnet`.", ExitCodes.BadInput);
        }

        var vpcDetails = await Calls.RunAsync($"looking up VPC {subnet.VpcId}", ct => Ec2.DescribeVpcsAsync(new DescribeVpcsRequest { VpcIds = [subnet.VpcId] }, ct), cancellationToken);
        var found = vpcDetails.Vpcs?.FirstOrDefault();
        var cidrs = (found?.CidrBlockAssociationSet ?? [])
            .Select(a => a.CidrBlock)
            .Append(found?.CidrBlock)
            .Where(c => c is not null)
            .Distinct()
            .Select(c => Cidr.TryParse(c, out var parsed, out _) ? parsed : null)
            .OfType<Cidr>()
            .ToList();
        return new CloudNetwork(subnet.VpcId, cidrs, subnet.SubnetId, found?.IsDefault == true);
    }

    public async Task<CloudImage> FindStockImageAsync(string ubuntuRelease, CancellationToken cancellationToken)
    {
        var parameter = $"/aws/service/canonical/ubuntu/server/{ubuntuRelease}/stable/current/amd64/hvm/ebs-gp3/ami-id";
        var imageId = await Calls.RunAsync($"reading Canonical's image parameter {parameter}", async ct => (await connection.Ssm.GetParameterAsync(new GetParameterRequest { Name = parameter }, ct)).Parameter?.Value,
            notFound: ["ParameterNotFound"], none: null, cancellationToken);
        if (imageId is not null)
        {
            var image = await DescribeImageAsync(imageId, cancellationToken);
            return image with { Source = $"SSM parameter {parameter}" };
        }

        // Some partitions (and emulators) lack the public parameter: ask EC2 for Canonical's newest image instead.
        var images = await Calls.RunAsync($"looking for Canonical's Ubuntu {ubuntuRelease} images", async ct => await Collect(
            Ec2.Paginators.DescribeImages(new DescribeImagesRequest
            {
                Owners = [CanonicalOwner],
                Filters =
                [
                    new Ec2Filter("name", [$"ubuntu/images/hvm-ssd*/ubuntu-*-{ubuntuRelease}-amd64-server-*"]),
                    new Ec2Filter("state", ["available"]),
                    new Ec2Filter("architecture", ["x86_64"]),
                ],
            }).Images, ct), cancellationToken);
        var newest = images
            .Where(i => i.Name?.Contains($"-{ubuntuRelease}-amd64-server-", StringComparison.Ordinal) == true)
            .OrderByDescending(i => i.CreationDate, StringComparer.Ordinal)
            .FirstOrDefault() ?? throw new NodeImagerException(
                $"No Ubuntu {ubuntuRelease} image found in {Region}: neither the SSM parameter {parameter} nor a Canonical ({CanonicalOwner}) image named like ubuntu-*-{ubuntuRelease}-amd64-server-*.",
                "Pass the AMI to use with --ami ami-...");
        return new CloudImage(newest.ImageId, newest.Name, $"newest Canonical image (owner {CanonicalOwner})", newest.RootDeviceName ?? "/dev/sda1");
    }

    public async Task<CloudImage?> FindRecipeImageAsync(string recipe, string kubernetesMinor, CancellationToken cancellationToken)
    {
        var images = await Calls.RunAsync($"looking for golden images of recipe {recipe}", async ct => await Collect(
            Ec2.Paginators.DescribeImages(new DescribeImagesRequest
            {
                Owners = ["self"],
                Filters = [new Ec2Filter($"tag:{RecipeTag}", [recipe]), new Ec2Filter("state", ["available"])],
            }).Images, ct), cancellationToken);
        var newest = images
            .Where(i => Tag(i.Tags, KubernetesVersionTag) is { } v && (v == kubernetesMinor || v.StartsWith(kubernetesMinor + ".", StringComparison.Ordinal)))
            .OrderByDescending(i => i.CreationDate, StringComparer.Ordinal)
            .FirstOrDefault();
        return newest is null ? null : new CloudImage(newest.ImageId, newest.Name, $"golden image of recipe {recipe}", newest.RootDeviceName ?? "/dev/sda1");
    }

    public async Task<CloudImage> DescribeImageAsync(string imageId, CancellationToken cancellationToken)
    {
        var images = await Calls.RunAsync($"looking up image {imageId}", async ct => (await Ec2.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [imageId] }, ct)).Images ?? [],
            notFound: ["InvalidAMIID.NotFound", "InvalidAMIID.Malformed"], none: [], cancellationToken);
        var image = images.FirstOrDefault() ?? throw new NodeImagerException(
            $"Image {imageId} does not exist in {Region} (or is not shared with this account).", "Pass an AMI id of this region with --ami, or leave --ami out to use Ubuntu's.", ExitCodes.BadInput);
        return new CloudImage(image.ImageId, image.Name ?? imageId, "--ami", image.RootDeviceName ?? "/dev/sda1");
    }

    public async Task<IReadOnlyList<CloudInstance>> FindInstancesAsync(string? cluster, CancellationToken cancellationToken)
    {
        var filters = new List<Ec2Filter>
        {
            cluster is null ? new Ec2Filter("tag-key", [ClusterNaming.ClusterTag]) : new Ec2Filter($"tag:{ClusterNaming.ClusterTag}", [cluster]),
            new Ec2Filter("instance-state-name", LiveStates),
        };
        var reservations = await Calls.RunAsync(
            cluster is null ? "listing NodeImager instances" : $"listing the instances of cluster {cluster}",
            async ct => await Collect(Ec2.Paginators.DescribeInstances(new DescribeInstancesRequest { Filters = filters }).Reservations, ct),
            cancellationToken);
        return [.. reservations.SelectMany(r => r.Instances ?? []).Select(ToCloudInstance)];
    }

    public async Task<string> CreateSecurityGroupAsync(string vpcId, string name, string description, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        try
        {
            var response = await Calls.RunAsync($"creating security group {name}", ct => Ec2.CreateSecurityGroupAsync(
                new CreateSecurityGroupRequest
                {
                    GroupName = name,
                    Description = description,
                    VpcId = vpcId,
                    TagSpecifications = [ResourceTags.Specification(ResourceType.SecurityGroup, tags, name)],
                },
                ct), cancellationToken);
            return response.GroupId;
        }
        catch (AwsCallException e) when (e.ErrorCode == "InvalidGroup.Duplicate")
        {
            throw new NodeImagerException(
                $"Security group {name} already exists in {vpcId}: something of an earlier cluster with this name is left.",
                $"Remove it with `nodeimager down {tags[ClusterNaming.ClusterTag]}`, then run up again.", inner: e);
        }
    }

    public Task AuthorizeIngressAsync(string groupId, IReadOnlyList<IngressRule> rules, CancellationToken cancellationToken)
    {
        var permissions = rules
            .GroupBy(r => (r.Protocol, r.FromPort, r.ToPort))
            .Select(g =>
            {
                // An empty list is sent as an empty parameter, which EC2 emulators choke on: leave it out instead.
                var pairs = g.Where(r => r.SourceGroupId is not null).Select(r => new UserIdGroupPair { GroupId = r.SourceGroupId, Description = r.Description }).ToList();
                var ranges = g.Where(r => r.SourceCidr is not null).Select(r => new IpRange { CidrIp = r.SourceCidr!.ToString(), Description = r.Description }).ToList();
                return new IpPermission
                {
                    IpProtocol = g.Key.Protocol,
                    FromPort = g.Key.FromPort,
                    ToPort = g.Key.ToPort,
                    UserIdGroupPairs = pairs.Count > 0 ? pairs : null,
                    Ipv4Ranges = ranges.Count > 0 ? ranges : null,
                };
            })
            .ToList();
        return Calls.RunAsync($"adding {rules.Count} rules to security group {groupId}", ct => Ec2.AuthorizeSecurityGroupIngressAsync(
            new AuthorizeSecurityGroupIngressRequest { GroupId = groupId, IpPermissions = permissions }, ct), cancellationToken);
    }

    public async Task<string> CreateKeyPairAsync(string name, string keyType, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        try
        {
            var response = await Calls.RunAsync($"creating key pair {name}", ct => Ec2.CreateKeyPairAsync(
                new CreateKeyPairRequest
                {
                    KeyName = name,
                    KeyType = KeyType.FindValue(keyType),
                    KeyFormat = KeyFormat.Pem,
                    TagSpecifications = [ResourceTags.Specification(ResourceType.KeyPair, tags, null)],
                },
                ct), cancellationToken);
            return response.KeyPair.KeyMaterial;
        }
        catch (AwsCallException e) when (e.ErrorCode == "InvalidKeyPair.Duplicate")
        {
            throw new NodeImagerException(
                $"Key pair {name} already exists: something of an earlier cluster with this name is left.",
                $"Remove it with `nodeimager down {tags[ClusterNaming.ClusterTag]}`, then run up again.", inner: e);
        }
    }

    public Task<IReadOnlyDictionary<NodeRole, string>> EnsureNodeIdentityAsync(string cluster, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken) =>
        identity.EnsureAsync(cluster, tags, cancellationToken);

    public async Task<IReadOnlyList<string>> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        var run = new HardenedLaunch
        {
            ImageId = request.ImageId,
            InstanceType = request.InstanceType,
            Count = request.Count,
            SubnetId = request.SubnetId,
            SecurityGroupId = request.SecurityGroupId,
            KeyName = request.KeyName,
            InstanceProfile = request.InstanceProfile,
            UserData = request.UserData,
            MetadataHopLimit = request.MetadataHopLimit,
            RootDeviceName = request.RootDeviceName,
            RootVolumeGiB = request.RootVolumeGiB,
            Tags = request.Tags,
            Name = $"nodeimager-{request.Tags[ClusterNaming.ClusterTag]}-{request.Role.Name()}",
            // The TTL's power-off (and any shutdown on the node) ends the instance instead of leaving it stopped.
            ShutdownBehavior = ShutdownBehavior.Terminate,
        }.ToRequest();
        if (request.Spot)
        {
            run.InstanceMarketOptions = new InstanceMarketOptionsRequest
            {
                MarketType = MarketType.Spot,
                SpotOptions = new SpotMarketOptions { SpotInstanceType = SpotInstanceType.OneTime, InstanceInterruptionBehavior = InstanceInterruptionBehavior.Terminate },
            };
        }

        var response = await Calls.RunAsync($"launching {request.Count} {request.Role.Name()}(s) ({request.InstanceType})", ct => Ec2.RunInstancesAsync(run, ct), cancellationToken);
        return [.. (response.Reservation?.Instances ?? []).Select(i => i.InstanceId)];
    }

    public async Task<IReadOnlyList<NodeStatusReport>> ReadNodeStatusAsync(string cluster, CancellationToken cancellationToken)
    {
        var path = ClusterNaming.StatusPath(cluster).TrimEnd('/');
        var parameters = await Calls.RunAsync($"reading the node status of cluster {cluster}", async ct => await Collect(
            connection.Ssm.Paginators.GetParametersByPath(new GetParametersByPathRequest { Path = path, Recursive = false }).Responses, ct), cancellationToken);
        return [.. parameters.SelectMany(page => page.Parameters ?? []).Select(p => NodeStatusReport.Parse(p.Value)).OfType<NodeStatusReport>()];
    }

    public async Task<ClusterInventory> FindClusterResourcesAsync(string cluster, CancellationToken cancellationToken)
    {
        var instances = FindInstancesAsync(cluster, cancellationToken);
        var groups = Calls.RunAsync($"listing the security groups of cluster {cluster}", async ct => await Collect(
            Ec2.Paginators.DescribeSecurityGroups(new DescribeSecurityGroupsRequest { Filters = [new Ec2Filter($"tag:{ClusterNaming.ClusterTag}", [cluster])] }).SecurityGroups, ct), cancellationToken);
        var keys = Calls.RunAsync($"listing the key pairs of cluster {cluster}", ct => Ec2.DescribeKeyPairsAsync(
            new DescribeKeyPairsRequest { Filters = [new Ec2Filter($"tag:{ClusterNaming.ClusterTag}", [cluster])] }, ct), cancellationToken);
        var parameters = Calls.RunAsync($"listing the parameters of cluster {cluster}", async ct => await Collect(
            connection.Ssm.Paginators.GetParametersByPath(new GetParametersByPathRequest { Path = ClusterNaming.ParameterPath(cluster).TrimEnd('/'), Recursive = true }).Responses, ct), cancellationToken);
        var roles = identity.FindRolesAsync(cluster, cancellationToken);
        await Task.WhenAll(instances, groups, keys, parameters, roles);
        return new ClusterInventory(
            cluster,
            await instances,
            [.. (await groups).Select(g => new TaggedResource(g.GroupId, g.GroupName))],
            [.. ((await keys).KeyPairs ?? []).Select(k => new TaggedResource(k.KeyPairId, k.KeyName))],
            [.. (await parameters).SelectMany(page => page.Parameters ?? []).Select(p => p.Name)],
            await roles);
    }

    public async Task<IReadOnlyList<ClusterSummary>> ListClustersAsync(CancellationToken cancellationToken)
    {
        var instances = FindInstancesAsync(null, cancellationToken);
        var groups = Calls.RunAsync("listing NodeImager security groups", async ct => await Collect(
            Ec2.Paginators.DescribeSecurityGroups(new DescribeSecurityGroupsRequest { Filters = [new Ec2Filter("tag-key", [ClusterNaming.ClusterTag])] }).SecurityGroups, ct), cancellationToken);
        await Task.WhenAll(instances, groups);

        var clusters = new Dictionary<string, (int Instances, DateTimeOffset? ExpiresAt, string? Creator)>(StringComparer.Ordinal);
        void Add(string? cluster, int instances, List<Ec2Tag>? tags)
        {
            if (cluster is null)
            {
                return;
            }

            var expires = ParseTime(Tag(tags, ClusterNaming.ExpiresAtTag));
            var creator = Tag(tags, ClusterNaming.CreatorTag);
            clusters.TryGetValue(cluster, out var known);
            clusters[cluster] = (known.Instances + instances, known.ExpiresAt ?? expires, known.Creator ?? creator);
        }

        foreach (var instance in await instances)
        {
            clusters.TryGetValue(instance.Cluster, out var known);
            clusters[instance.Cluster] = (known.Instances + 1, known.ExpiresAt ?? instance.ExpiresAt, known.Creator);
        }

        foreach (var group in await groups)
        {
            Add(Tag(group.Tags, ClusterNaming.ClusterTag), 0, group.Tags);
        }

        return [.. clusters.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new ClusterSummary(c.Key, c.Value.Instances, c.Value.ExpiresAt, c.Value.Creator))];
    }

    public Task TerminateInstancesAsync(IReadOnlyList<string> instanceIds, CancellationToken cancellationToken) =>
        Calls.RunAsync($"terminating {instanceIds.Count} instance(s)", async ct =>
        {
            // TerminateInstances takes at most 1000 ids per call.
            foreach (var chunk in instanceIds.Chunk(1000))
            {
                await Ec2.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [.. chunk] }, ct);
            }
        }, cancellationToken);

    public async Task RevokeAllIngressAsync(string groupId, CancellationToken cancellationToken)
    {
        var groups = await Calls.RunAsync($"reading the rules of security group {groupId}", async ct => (await Ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [groupId] }, ct)).SecurityGroups ?? [],
            notFound: ["InvalidGroup.NotFound"], none: [], cancellationToken);
        var permissions = groups.FirstOrDefault()?.IpPermissions ?? [];
        if (permissions.Count == 0)
        {
            return;
        }

        await Calls.RunAsync($"removing the rules of security group {groupId}", ct => Ec2.RevokeSecurityGroupIngressAsync(
            new RevokeSecurityGroupIngressRequest { GroupId = groupId, IpPermissions = permissions }, ct), cancellationToken);
    }

    public Task DeleteSecurityGroupAsync(string groupId, CancellationToken cancellationToken) =>
        Calls.RunAsync($"deleting security group {groupId}", async ct =>
        {
            try
            {
                await Ec2.DeleteSecurityGroupAsync(new DeleteSecurityGroupRequest { GroupId = groupId }, ct);
            }
            catch (AmazonEC2Exception e) when (e.ErrorCode == "DependencyViolation")
            {
                throw new CloudDependencyException(e.Message, e);
            }
        }, notFound: ["InvalidGroup.NotFound"], cancellationToken);

    public Task DeleteKeyPairAsync(string keyName, CancellationToken cancellationToken) =>
        Calls.RunAsync($"deleting key pair {keyName}", ct => Ec2.DeleteKeyPairAsync(new DeleteKeyPairRequest { KeyName = keyName }, ct), cancellationToken);

    public Task DeleteParametersAsync(IReadOnlyList<string> names, CancellationToken cancellationToken) =>
        Calls.RunAsync($"deleting {names.Count} parameter(s)", async ct =>
        {
            // DeleteParameters takes at most 10 names per call.
            foreach (var chunk in names.Chunk(10))
            {
                await connection.Ssm.DeleteParametersAsync(new DeleteParametersRequest { Names = [.. chunk] }, ct);
            }
        }, cancellationToken);

    public Task DeleteNodeIdentityAsync(string cluster, CancellationToken cancellationToken) => identity.DeleteAsync(cluster, cancellationToken);

    private static async Task<List<T>> Collect<T>(IAsyncEnumerable<T> items, CancellationToken cancellationToken)
    {
        var list = new List<T>();
        await foreach (var item in items.WithCancellation(cancellationToken))
        {
            list.Add(item);
        }

        return list;
    }

    private static string? Tag(List<Ec2Tag>? tags, string key) => tags?.FirstOrDefault(t => t.Key == key)?.Value;

    private static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    private static CloudInstance ToCloudInstance(Instance i)
    {
        var role = Tag(i.Tags, ClusterNaming.RoleTag) switch
        {
            "master" => NodeRole.Master,
            "worker" => NodeRole.Worker,
            _ => (NodeRole?)null,
        };
        return new CloudInstance(
            i.InstanceId,
            Tag(i.Tags, ClusterNaming.ClusterTag) ?? string.Empty,
            role,
            i.State?.Name?.Value ?? "unknown",
            i.PrivateIpAddress,
            i.PublicIpAddress,
            i.LaunchTime is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null,
            ParseTime(Tag(i.Tags, ClusterNaming.ExpiresAtTag)));
    }
}
