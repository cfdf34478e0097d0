using System.Globalization;
using NodeImager.Core.Model;

namespace NodeImager.Core.Orchestration;

/// <summary>The per-role user-data EC2 gets (rendered from the templates).</summary>
public interface IUserDataSource
{
    IReadOnlyDictionary<NodeRole, byte[]> Render(ClusterSpec spec, DateTimeOffset? expiresAt);
}

/// <summary>Finds the operator's public address (for the default admin CIDR).</summary>
public interface IOperatorAddress
{
    Task<Cidr?> FindAsync(CancellationToken cancellationToken);
}

/// <summary>What <c>up</c> was asked beyond the cluster spec.</summary>
public sealed record UpOptions
{
    public string? SubnetId { get; init; }

    public string? ImageId { get; init; }

    public string? InstanceProfile { get; init; }

    public bool Spot { get; init; }
}

/// <summary>What has been created so far: after a failure or Ctrl-C the caller says how to remove it.</summary>
public sealed class LaunchProgress
{
    private readonly List<string> created = [];

    public IReadOnlyList<string> Created
    {
        get
        {
            lock (created)
            {
                return [.. created];
            }
        }
    }

    public bool CreatedAnything => Created.Count > 0;

    internal void Add(string what)
    {
        lock (created)
        {
            created.Add(what);
        }
    }
}

public sealed record LaunchedCluster(ClusterPlan Plan, IReadOnlyDictionary<NodeRole, IReadOnlyList<string>> InstanceIds, string? PrivateKeyPath)
{
    public IReadOnlyList<string> AllInstanceIds => [.. InstanceIds.Values.SelectMany(ids => ids)];
}

/// <summary>Plans and launches a cluster: discovery and checks first (nothing changes until they pass), then key
/// pair, security groups, IAM, and one RunInstances per role, masters and workers concurrently. Every resource is
/// tagged as it is created, so <c>down</c> finds it even when launching stops half-way.</summary>
public sealed class ClusterLauncher(IClusterCloud cloud, IUserDataSource userData, IOperatorAddress operatorAddress, ClusterFolders folders, TimeProvider clock)
{
    public async Task<ClusterPlan> PlanAsync(ClusterSpec spec, UpOptions options, CancellationToken cancellationToken)
    {
        // Refuse rather than resume: a second `up` with other flags would silently mix two shapes of cluster.
        var existing = await cloud.FindClusterResourcesAsync(spec.Name, cancellationToken);
        if (existing.Instances.Count > 0)
        {
            throw new NodeImagerException(
                $"Cluster '{spec.Name}' already exists in {cloud.Region}: {existing.Instances.Count} instance(s) tagged {ClusterNaming.ClusterTag}={spec.Name} are not terminated.",
                $"Look at it with `nodeimager status {spec.Name}`, remove it with `nodeimager down {spec.Name}`, or pick another --name.");
        }

        if (!existing.IsEmpty)
        {
            throw new NodeImagerException(
                $"Resources of an earlier cluster '{spec.Name}' are left in {cloud.Region}: {string.Join(", ", existing.Describe())}.",
                $"Remove them with `nodeimager down {spec.Name}`, or pick another --name.");
        }

        var network = await cloud.DiscoverNetworkAsync(options.SubnetId, cancellationToken);
        foreach (var vpcCidr in network.VpcCidrs)
        {
            if (spec.PodCidr.Overlaps(vpcCidr))
            {
                throw new NodeImagerException(
                    $"The pod network {spec.PodCidr} overlaps the VPC network {vpcCidr} of {network.VpcId}; pod traffic would be routed into the VPC.",
                    "Pick a --pod-cidr outside the VPC, e.g. 10.244.0.0/16 or 192.168.0.0/16.", ExitCodes.BadInput);
            }

            if (spec.ServiceCidr.Overlaps(vpcCidr))
            {
                throw new NodeImagerException(
                    $"The service network {spec.ServiceCidr} overlaps the VPC network {vpcCidr} of {network.VpcId}.",
                    "Pick a --service-cidr outside the VPC, e.g. 10.96.0.0/12.", ExitCodes.BadInput);
            }
        }

        var image = await ResolveImageAsync(spec, options, cancellationToken);

        var admin = spec.AdminCidrs;
        if (admin.Count == 0)
        {
            var own = await operatorAddress.FindAsync(cancellationToken)
                ?? throw new NodeImagerException(
                    "Could not find your public IP address to allow the API (6443) and SSH (22) from it.",
                    "Pass --admin-cidr with the network you connect from, e.g. --admin-cidr 203.0.113.7/32.", ExitCodes.BadInput);
            admin = [own];
        }

        var caller = await cloud.GetCallerArnAsync(cancellationToken);
        var expiresAt = spec.Ttl is { } ttl ? clock.GetUtcNow() + ttl : (DateTimeOffset?)null;
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in spec.Tags)
        {
            tags[key] = value;
        }

        tags[ClusterNaming.ClusterTag] = spec.Name;
        tags[ClusterNaming.CreatorTag] = caller;
        if (expiresAt is { } at)
        {
            tags[ClusterNaming.ExpiresAtTag] = FormatTime(at);
        }

        return new ClusterPlan
        {
            Spec = spec,
            Region = cloud.Region,
            Network = network,
            Image = image,
            AdminCidrs = admin,
            Groups = ClusterPlan.SecurityGroups(spec.Name, admin),
            Launches =
            [
                new PlannedLaunch(NodeRole.Master, spec.Masters, spec.InstanceTypes.Master),
                new PlannedLaunch(NodeRole.Worker, spec.Workers, spec.InstanceTypes.Worker),
            ],
            Tags = tags,
            ExpiresAt = expiresAt,
            ExistingInstanceProfile = options.InstanceProfile,
            Spot = options.Spot,
        };
    }

    public async Task<LaunchedCluster> LaunchAsync(ClusterPlan plan, LaunchProgress progress, Action<string> report, CancellationToken cancellationToken)
    {
        // Rendered first: a template problem must stop us before anything exists.
        var documents = userData.Render(plan.Spec, plan.ExpiresAt);

        cancellationToken.ThrowIfCancellationRequested();
        var privateKey = await cloud.CreateKeyPairAsync(plan.KeyName, ClusterPlan.KeyType, plan.Tags, cancellationToken);
        progress.Add($"key pair {plan.KeyName}");
        var keyPath = folders.SavePrivateKey(plan.Name, ClusterPlan.KeyType, privateKey);
        report($"Key pair {plan.KeyName} created; private key saved to {keyPath}");

        var groupIds = new Dictionary<NodeRole, string>();
        foreach (var group in plan.Groups)
        {
            cancellationToken.ThrowIfCancellationRequested();
            groupIds[group.Role] = await cloud.CreateSecurityGroupAsync(
                plan.Network.VpcId, group.Name, $"NodeImager cluster {plan.Name}: {group.Role.Name()} nodes", plan.TagsFor(group.Role), cancellationToken);
            progress.Add($"security group {group.Name} ({groupIds[group.Role]})");
        }

        foreach (var group in plan.Groups)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await cloud.AuthorizeIngressAsync(groupIds[group.Role], [.. group.Rules.Select(r => r.Resolve(groupIds))], cancellationToken);
        }

        report($"Security groups {string.Join(", ", plan.Groups.Select(g => $"{g.Name} ({groupIds[g.Role]})"))} created with {plan.Groups.Sum(g => g.Rules.Count)} rules");

        IReadOnlyDictionary<NodeRole, string> profiles;
        if (plan.ExistingInstanceProfile is { } existing)
        {
            profiles = new Dictionary<NodeRole, string> { [NodeRole.Master] = existing, [NodeRole.Worker] = existing };
        }
        else
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress.Add("IAM roles and instance profiles");
            profiles = await cloud.EnsureNodeIdentityAsync(plan.Name, plan.Tags, cancellationToken);
            report(profiles.Count == 0 ? "IAM: no instance profile available to attach (pass --instance-profile)" : $"IAM instance profiles {string.Join(", ", profiles.Values.Distinct())} ready");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var launches = plan.Launches.Where(l => l.Count > 0).Select(async launch =>
        {
            var ids = await cloud.LaunchAsync(
                new LaunchRequest
                {
                    Role = launch.Role,
                    Count = launch.Count,
                    ImageId = plan.Image.ImageId,
                    RootDeviceName = plan.Image.RootDeviceName,
                    InstanceType = launch.InstanceType,
                    SubnetId = plan.Network.SubnetId,
                    SecurityGroupId = groupIds[launch.Role],
                    KeyName = plan.KeyName,
                    InstanceProfile = profiles.GetValueOrDefault(launch.Role),
                    UserData = documents[launch.Role],
                    Tags = plan.TagsFor(launch.Role),
                    Spot = plan.Spot,
                },
                cancellationToken);
            progress.Add($"{ids.Count} {launch.Role.Name()} instance(s)");
            report($"Launched {ids.Count} {launch.Role.Name()}(s): {string.Join(", ", ids.Take(5))}{(ids.Count > 5 ? ", ..." : string.Empty)}");
            return (launch.Role, ids);
        }).ToList();

        // Both calls run to their end before a failure is reported, so every instance EC2 started is accounted for.
        var results = new Dictionary<NodeRole, IReadOnlyList<string>>();
        Exception? failure = null;
        foreach (var launch in launches)
        {
            try
            {
                var (role, ids) = await launch;
                results[role] = ids;
            }
            catch (Exception e) when (failure is null)
            {
                failure = e;
            }
        }

        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        return new LaunchedCluster(plan, results, Path.Combine(folders.ClusterFolder(plan.Name), $"id_{ClusterPlan.KeyType}"));
    }

    private async Task<CloudImage> ResolveImageAsync(ClusterSpec spec, UpOptions options, CancellationToken cancellationToken)
    {
        if (options.ImageId is { } ami)
        {
            return await cloud.DescribeImageAsync(ami, cancellationToken);
        }

        if (spec.Image.UbuntuRelease is { } release)
        {
            return await cloud.FindStockImageAsync(release, cancellationToken);
        }

        var recipe = spec.Image.Recipe!;
        return await cloud.FindRecipeImageAsync(recipe, spec.KubernetesVersion.Minor, cancellationToken)
            ?? throw new NodeImagerException(
                $"No golden image for recipe '{recipe}' and Kubernetes {spec.KubernetesVersion.Minor} in {cloud.Region} (looked for available images tagged nodeimager:recipe={recipe}).",
                $"Bake one first with `nodeimager bake {recipe} --kubernetes-version {spec.KubernetesVersion.Minor}`, or use --image ubuntu-24.04.");
    }

    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
