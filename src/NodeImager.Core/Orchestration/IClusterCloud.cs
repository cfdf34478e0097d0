using NodeImager.Core.Model;

namespace NodeImager.Core.Orchestration;

/// <summary>
/// The cloud as orchestration sees it: the one seam between the cluster logic (plan, launch, wait, teardown) and the
/// AWS edge. Implemented in NodeImager.Aws; unit tests use a hand-written fake. Everything a cluster owns is found
/// again through its <c>nodeimager:cluster</c> tag, never through local state.
/// </summary>
public interface IClusterCloud : ICloudAccount
{
    /// <summary>The newest available image tagged <c>nodeimager:recipe=RECIPE</c> for a Kubernetes minor; null if none.</summary>
    Task<CloudImage?> FindRecipeImageAsync(string recipe, string kubernetesMinor, CancellationToken cancellationToken);

    /// <summary>Instances of one cluster (or of every cluster when null) that are not terminated.</summary>
    Task<IReadOnlyList<CloudInstance>> FindInstancesAsync(string? cluster, CancellationToken cancellationToken);

    Task<string> CreateSecurityGroupAsync(string vpcId, string name, string description, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken);

    /// <summary>Adds every rule of one group in a single call.</summary>
    Task AuthorizeIngressAsync(string groupId, IReadOnlyList<IngressRule> rules, CancellationToken cancellationToken);

    /// <summary>Creates the key pair and returns its private key (AWS shows it only once).</summary>
    Task<string> CreateKeyPairAsync(string name, string keyType, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken);

    /// <summary>Creates (or finds) the cluster's IAM roles and instance profiles; returns the profile name per role.</summary>
    Task<IReadOnlyDictionary<NodeRole, string>> EnsureNodeIdentityAsync(string cluster, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken);

    /// <summary>One RunInstances call for every node of one role (MinCount = MaxCount = count).</summary>
    Task<IReadOnlyList<string>> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken);

    /// <summary>The status parameters nodes wrote under the cluster's status path.</summary>
    Task<IReadOnlyList<NodeStatusReport>> ReadNodeStatusAsync(string cluster, CancellationToken cancellationToken);

    /// <summary>Everything tagged (or, for parameters and IAM, named) for one cluster.</summary>
    Task<ClusterInventory> FindClusterResourcesAsync(string cluster, CancellationToken cancellationToken);

    /// <summary>Every cluster that has tagged instances or security groups, with its expiry.</summary>
    Task<IReadOnlyList<ClusterSummary>> ListClustersAsync(CancellationToken cancellationToken);

    Task TerminateInstancesAsync(IReadOnlyList<string> instanceIds, CancellationToken cancellationToken);

    /// <summary>Removes every ingress rule of a group (the cross-group references block deleting the other group).</summary>
    Task RevokeAllIngressAsync(string groupId, CancellationToken cancellationToken);

    Task DeleteKeyPairAsync(string keyName, CancellationToken cancellationToken);

    Task DeleteNodeIdentityAsync(string cluster, CancellationToken cancellationToken);
}

/// <summary>Thrown by the cloud when a resource cannot go yet because another one still depends on it.</summary>
public sealed class CloudDependencyException(string message, Exception? inner = null) : Exception(message, inner);

public sealed record CloudNetwork(string VpcId, IReadOnlyList<Cidr> VpcCidrs, string SubnetId, bool IsDefaultVpc);

public sealed record CloudImage(string ImageId, string Name, string Source, string RootDeviceName = "/dev/sda1");

public sealed record CloudInstance(
    string InstanceId,
    string Cluster,
    NodeRole? Role,
    string State,
    string? PrivateIp,
    string? PublicIp,
    DateTimeOffset? LaunchTime,
    DateTimeOffset? ExpiresAt);

/// <summary>One ingress permission. Exactly one of <see cref="SourceGroupId"/> and <see cref="SourceCidr"/> is set.</summary>
public sealed record IngressRule(string Protocol, int FromPort, int ToPort, string? SourceGroupId, Cidr? SourceCidr, string Description)
{
    public override string ToString() =>
        $"{Protocol} {(FromPort == ToPort ? FromPort.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{FromPort}-{ToPort}")} from {SourceGroupId ?? SourceCidr!.ToString()} ({Description})";
}

/// <summary>Everything one RunInstances call needs.</summary>
public sealed record LaunchRequest
{
    public required NodeRole Role { get; init; }

    public required int Count { get; init; }

    public required string ImageId { get; init; }

    /// <summary>The image's root device, where the encrypted gp3 volume is mapped.</summary>
    public string RootDeviceName { get; init; } = "/dev/sda1";

    public required string InstanceType { get; init; }

    public required string SubnetId { get; init; }

    public required string SecurityGroupId { get; init; }

    public required string KeyName { get; init; }

    public string? InstanceProfile { get; init; }

    /// <summary>What EC2 gets (at most 16,384 bytes before base64).</summary>
    public required byte[] UserData { get; init; }

    public required IReadOnlyDictionary<string, string> Tags { get; init; }

    public bool Spot { get; init; }

    public int RootVolumeGiB { get; init; } = 30;

    /// <summary>IMDSv2 hop limit: 1, so containers on the node cannot reach the node's credentials (which may read the
    /// cluster's join secret); the node scripts themselves run on the host.</summary>
    public int MetadataHopLimit { get; init; } = 1;
}

/// <summary>What a node reported under <c>/nodeimager/CLUSTER/status/INSTANCE-ID</c>.</summary>
public sealed record NodeStatusReport(
    string InstanceId,
    string Role,
    string Phase,
    string Step,
    string? KubernetesVersion,
    DateTimeOffset? UpdatedAt,
    string? Message,
    string? LogTail)
{
    /// <summary>Parses what a node wrote (the node-side contract's JSON); null when it is not that shape.</summary>
    public static NodeStatusReport? Parse(string json)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            var root = doc.RootElement;
            string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
            var id = Text("instanceId");
            var phase = Text("phase");
            if (id is null || phase is null)
            {
                return null;
            }

            DateTimeOffset? updated = DateTimeOffset.TryParse(Text("updatedAt"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null;
            return new NodeStatusReport(id, Text("role") ?? string.Empty, phase, Text("step") ?? string.Empty, Text("kubernetesVersion"), updated, Text("message"), Text("logTail"));
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}

public sealed record ClusterInventory(
    string Cluster,
    IReadOnlyList<CloudInstance> Instances,
    IReadOnlyList<TaggedResource> SecurityGroups,
    IReadOnlyList<TaggedResource> KeyPairs,
    IReadOnlyList<string> Parameters,
    IReadOnlyList<string> IamRoles)
{
    public bool IsEmpty => Instances.Count == 0 && SecurityGroups.Count == 0 && KeyPairs.Count == 0 && Parameters.Count == 0 && IamRoles.Count == 0;

    public IEnumerable<string> Describe()
    {
        foreach (var i in Instances)
        {
            yield return $"instance {i.InstanceId} ({i.State})";
        }

        foreach (var g in SecurityGroups)
        {
            yield return $"security group {g.Id} ({g.Name})";
        }

        foreach (var k in KeyPairs)
        {
            yield return $"key pair {k.Name}";
        }

        foreach (var p in Parameters)
        {
            yield return $"parameter {p}";
        }

        foreach (var r in IamRoles)
        {
            yield return $"IAM role {r}";
        }
    }
}

public sealed record TaggedResource(string Id, string Name);

public sealed record ClusterSummary(string Cluster, int Instances, DateTimeOffset? ExpiresAt, string? Creator);
