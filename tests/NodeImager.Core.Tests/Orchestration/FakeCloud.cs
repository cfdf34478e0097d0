using NodeImager.Core.Model;
using NodeImager.Core.Orchestration;

namespace NodeImager.Core.Tests.Orchestration;

/// <summary>A hand-written in-memory cloud for unit tests of the orchestration logic; it records every call.</summary>
internal sealed class FakeCloud : IClusterCloud
{
    private int nextId;

    public List<string> Calls { get; } = [];

    public List<CloudInstance> Instances { get; } = [];

    public List<(string Id, string Name, string Cluster)> Groups { get; } = [];

    public List<(string Name, string Cluster)> Keys { get; } = [];

    public List<string> Parameters { get; } = [];

    public List<string> Roles { get; } = [];

    public List<NodeStatusReport> Reports { get; } = [];

    public List<LaunchRequest> Launches { get; } = [];

    public Dictionary<string, List<IngressRule>> Rules { get; } = [];

    public CloudNetwork Network { get; set; } = new("vpc-1", [Cidr.Parse("172.31.0.0/16")], "subnet-1", true);

    public CloudImage? RecipeImage { get; set; }

    /// <summary>How many DeleteSecurityGroup calls answer DependencyViolation first.</summary>
    public int DependencyViolations { get; set; }

    /// <summary>Runs inside LaunchAsync (e.g. to fail or to wait for the other role).</summary>
    public Func<LaunchRequest, CancellationToken, Task>? OnLaunch { get; set; }

    public string Region => "eu-west-1";

    public IEnumerable<string> Mutations => Calls.Where(c => !c.StartsWith("Find", StringComparison.Ordinal) && !c.StartsWith("Read", StringComparison.Ordinal)
        && !c.StartsWith("Discover", StringComparison.Ordinal) && !c.StartsWith("Describe", StringComparison.Ordinal) && !c.StartsWith("Get", StringComparison.Ordinal) && !c.StartsWith("List", StringComparison.Ordinal));

    public Task<string> GetCallerArnAsync(CancellationToken cancellationToken) => Record("GetCaller", "arn:aws:iam::123456789012:user/alice");

    public Task<CloudNetwork> DiscoverNetworkAsync(string? subnetId, CancellationToken cancellationToken) => Record("DiscoverNetwork", Network);

    public Task<CloudImage> FindStockImageAsync(string ubuntuRelease, CancellationToken cancellationToken) => Record("FindStockImage", new CloudImage("ami-stock", $"ubuntu {ubuntuRelease}", "test"));

    public Task<CloudImage?> FindRecipeImageAsync(string recipe, string kubernetesMinor, CancellationToken cancellationToken) => Record("FindRecipeImage", RecipeImage);

    public Task<CloudImage> DescribeImageAsync(string imageId, CancellationToken cancellationToken) => Record("DescribeImage", new CloudImage(imageId, "given", "--ami"));

    public Task<IReadOnlyList<CloudInstance>> FindInstancesAsync(string? cluster, CancellationToken cancellationToken) =>
        Record("FindInstances", (IReadOnlyList<CloudInstance>)[.. Instances.Where(i => (cluster is null || i.Cluster == cluster) && i.State != "terminated")]);

    public Task<string> CreateSecurityGroupAsync(string vpcId, string name, string description, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        var id = $"sg-{++nextId}";
        Groups.Add((id, name, tags[ClusterNaming.ClusterTag]));
        return Record($"CreateSecurityGroup {name}", id);
    }

    public Task AuthorizeIngressAsync(string groupId, IReadOnlyList<IngressRule> rules, CancellationToken cancellationToken)
    {
        Rules[groupId] = [.. rules];
        return Record($"AuthorizeIngress {groupId}", true);
    }

    public Task<string> CreateKeyPairAsync(string name, string keyType, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        Keys.Add((name, tags[ClusterNaming.ClusterTag]));
        return Record($"CreateKeyPair {name}", "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----");
    }

    public Task<IReadOnlyDictionary<NodeRole, string>> EnsureNodeIdentityAsync(string cluster, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        Roles.AddRange([$"nodeimager-{cluster}-master", $"nodeimager-{cluster}-worker"]);
        return Record("EnsureNodeIdentity", (IReadOnlyDictionary<NodeRole, string>)new Dictionary<NodeRole, string> { [NodeRole.Master] = $"nodeimager-{cluster}-master", [NodeRole.Worker] = $"nodeimager-{cluster}-worker" });
    }

    public async Task<IReadOnlyList<string>> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add($"Launch {request.Role.Name()} {request.Count}");
            Launches.Add(request);
        }

        if (OnLaunch is not null)
        {
            await OnLaunch(request, cancellationToken);
        }

        var ids = new List<string>();
        lock (Calls)
        {
            for (var i = 0; i < request.Count; i++)
            {
                var id = $"i-{++nextId:x8}";
                ids.Add(id);
                Instances.Add(new CloudInstance(id, request.Tags[ClusterNaming.ClusterTag], request.Role, "running", "10.0.0.1", null, null, null));
            }
        }

        return ids;
    }

    public Task<IReadOnlyList<NodeStatusReport>> ReadNodeStatusAsync(string cluster, CancellationToken cancellationToken) => Record("ReadNodeStatus", (IReadOnlyList<NodeStatusReport>)[.. Reports]);

    public Task<ClusterInventory> FindClusterResourcesAsync(string cluster, CancellationToken cancellationToken) =>
        Record("FindClusterResources", new ClusterInventory(
            cluster,
            [.. Instances.Where(i => i.Cluster == cluster && i.State != "terminated")],
            [.. Groups.Where(g => g.Cluster == cluster).Select(g => new TaggedResource(g.Id, g.Name))],
            [.. Keys.Where(k => k.Cluster == cluster).Select(k => new TaggedResource(k.Name, k.Name))],
            [.. Parameters.Where(p => p.StartsWith($"/nodeimager/{cluster}/", StringComparison.Ordinal))],
            [.. Roles.Where(r => r.StartsWith($"nodeimager-{cluster}-", StringComparison.Ordinal))]));

    public Task<IReadOnlyList<ClusterSummary>> ListClustersAsync(CancellationToken cancellationToken) =>
        Record("ListClusters", (IReadOnlyList<ClusterSummary>)[.. Instances.GroupBy(i => i.Cluster).Select(g => new ClusterSummary(g.Key, g.Count(), g.First().ExpiresAt, null))]);

    public Task TerminateInstancesAsync(IReadOnlyList<string> instanceIds, CancellationToken cancellationToken)
    {
        for (var i = 0; i < Instances.Count; i++)
        {
            if (instanceIds.Contains(Instances[i].InstanceId))
            {
                Instances[i] = Instances[i] with { State = "terminated" };
            }
        }

        return Record($"Terminate {instanceIds.Count}", true);
    }

    public Task RevokeAllIngressAsync(string groupId, CancellationToken cancellationToken)
    {
        Rules.Remove(groupId);
        return Record($"RevokeAllIngress {groupId}", true);
    }

    public Task DeleteSecurityGroupAsync(string groupId, CancellationToken cancellationToken)
    {
        Calls.Add($"DeleteSecurityGroup {groupId}");
        if (DependencyViolations > 0)
        {
            DependencyViolations--;
            throw new CloudDependencyException("resource sg has a dependent object");
        }

        var owner = Groups.First(g => g.Id == groupId).Cluster;
        if (Instances.Any(i => i.Cluster == owner && i.State != "terminated") || Rules.Values.Any(r => r.Any(x => x.SourceGroupId == groupId)))
        {
            throw new CloudDependencyException("still referenced");
        }

        Groups.RemoveAll(g => g.Id == groupId);
        return Task.CompletedTask;
    }

    public Task DeleteKeyPairAsync(string keyName, CancellationToken cancellationToken)
    {
        Keys.RemoveAll(k => k.Name == keyName);
        return Record($"DeleteKeyPair {keyName}", true);
    }

    public Task DeleteParametersAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        Parameters.RemoveAll(names.Contains);
        return Record($"DeleteParameters {names.Count}", true);
    }

    public Task DeleteNodeIdentityAsync(string cluster, CancellationToken cancellationToken)
    {
        Roles.RemoveAll(r => r.StartsWith($"nodeimager-{cluster}-", StringComparison.Ordinal));
        return Record("DeleteNodeIdentity", true);
    }

    private Task<T> Record<T>(string call, T result)
    {
        lock (Calls)
        {
            Calls.Add(call);
        }

        return Task.FromResult(result);
    }
}

/// <summary>A clock that stands still (timers still run in real time).</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

internal sealed class FixedUserData : IUserDataSource
{
    public DateTimeOffset? ExpiresAt { get; private set; }

    public IReadOnlyDictionary<NodeRole, byte[]> Render(ClusterSpec spec, DateTimeOffset? expiresAt)
    {
        ExpiresAt = expiresAt;
        return new Dictionary<NodeRole, byte[]> { [NodeRole.Master] = "#cloud-config\n#m"u8.ToArray(), [NodeRole.Worker] = "#cloud-config\n#w"u8.ToArray() };
    }
}

internal sealed class FixedAddress(Cidr? address) : IOperatorAddress
{
    public Task<Cidr?> FindAsync(CancellationToken cancellationToken) => Task.FromResult(address);
}
