using System.Globalization;
using NodeImager.Core.Model;

namespace NodeImager.Core.Orchestration;

/// <summary>One ingress rule before the groups exist: the source is a role's group or a network.</summary>
public sealed record PlannedRule(string Protocol, int FromPort, int ToPort, NodeRole? SourceGroup, Cidr? SourceCidr, string Description)
{
    public IngressRule Resolve(IReadOnlyDictionary<NodeRole, string> groupIds) =>
        new(Protocol, FromPort, ToPort, SourceGroup is { } role ? groupIds[role] : null, SourceCidr, Description);

    public override string ToString()
    {
        var ports = FromPort == ToPort ? FromPort.ToString(CultureInfo.InvariantCulture) : $"{FromPort}-{ToPort}";
        var source = SourceGroup is { } role ? $"{role.Name()} group" : SourceCidr!.ToString();
        return $"{Protocol} {ports} from {source} ({Description})";
    }
}

public sealed record PlannedGroup(NodeRole Role, string Name, IReadOnlyList<PlannedRule> Rules);

public sealed record PlannedLaunch(NodeRole Role, int Count, string InstanceType);

/// <summary>Everything <c>up</c> will create, decided before the first change; <c>--dry-run</c> prints it.</summary>
public sealed record ClusterPlan
{
    public const string KeyType = "ed25519";

    public required ClusterSpec Spec { get; init; }

    public required string Region { get; init; }

    public required CloudNetwork Network { get; init; }

    public required CloudImage Image { get; init; }

    public required IReadOnlyList<Cidr> AdminCidrs { get; init; }

    public required IReadOnlyList<PlannedGroup> Groups { get; init; }

    public required IReadOnlyList<PlannedLaunch> Launches { get; init; }

    /// <summary>Tags on every resource (cluster, creator, expiry, the user's tags); roles add <c>nodeimager:role</c>.</summary>
    public required IReadOnlyDictionary<string, string> Tags { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>An existing instance profile to use instead of creating the cluster's own roles.</summary>
    public string? ExistingInstanceProfile { get; init; }

    public bool Spot { get; init; }

    public string Name => Spec.Name;

    public string KeyName => $"nodeimager-{Name}";

    public IReadOnlyList<string> IamRoles => ExistingInstanceProfile is null
        ? [$"nodeimager-{Name}-master", $"nodeimager-{Name}-worker"]
        : [];

    public IReadOnlyDictionary<string, string> TagsFor(NodeRole role) =>
        new Dictionary<string, string>(Tags) { [ClusterNaming.RoleTag] = role.Name() };

    /// <summary>Kubernetes and flannel ports between the two groups (kubernetes.io ports-and-protocols, flannel
    /// backends.md); the API and SSH only from the admin networks.</summary>
    public static IReadOnlyList<PlannedGroup> SecurityGroups(string cluster, IReadOnlyList<Cidr> adminCidrs)
    {
        var both = new[] { NodeRole.Master, NodeRole.Worker };
        var master = new List<PlannedRule>();
        foreach (var role in both)
        {
            master.Add(new("tcp", 6443, 6443, role, null, "Kubernetes API from nodes"));
        }

        master.Add(new("tcp", 2379, 2380, NodeRole.Master, null, "etcd"));
        master.Add(new("tcp", 10250, 10250, NodeRole.Master, null, "kubelet"));
        master.Add(new("tcp", 10257, 10257, NodeRole.Master, null, "kube-controller-manager"));
        master.Add(new("tcp", 10259, 10259, NodeRole.Master, null, "kube-scheduler"));
        foreach (var role in both)
        {
            master.Add(new("udp", 8472, 8472, role, null, "flannel VXLAN"));
        }

        foreach (var cidr in adminCidrs)
        {
            master.Add(new("tcp", 6443, 6443, null, cidr, "Kubernetes API from admins"));
            master.Add(new("tcp", 22, 22, null, cidr, "SSH from admins"));
        }

        var worker = new List<PlannedRule>();
        foreach (var role in both)
        {
            worker.Add(new("tcp", 10250, 10250, role, null, "kubelet"));
            worker.Add(new("tcp", 10256, 10256, role, null, "kube-proxy health"));
            worker.Add(new("tcp", 30000, 32767, role, null, "NodePort services"));
            worker.Add(new("udp", 8472, 8472, role, null, "flannel VXLAN"));
        }

        foreach (var cidr in adminCidrs)
        {
            worker.Add(new("tcp", 22, 22, null, cidr, "SSH from admins"));
        }

        return
        [
            new PlannedGroup(NodeRole.Master, $"nodeimager-{cluster}-master", master),
            new PlannedGroup(NodeRole.Worker, $"nodeimager-{cluster}-worker", worker),
        ];
    }

    /// <summary>The human-readable plan (for --dry-run).</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"Cluster {Name} in {Region}: Kubernetes {Spec.KubernetesVersion}, image {Image.ImageId} ({Image.Name}, {Image.Source})";
        yield return $"Network: VPC {Network.VpcId} ({string.Join(", ", Network.VpcCidrs)}), subnet {Network.SubnetId}; pods {Spec.PodCidr}, services {Spec.ServiceCidr}";
        foreach (var launch in Launches.Where(l => l.Count > 0))
        {
            yield return $"Instances: {launch.Count} x {launch.Role.Name()} ({launch.InstanceType}{(Spot ? ", spot" : string.Empty)}) in one RunInstances call; IMDSv2 required, hop limit 1; encrypted gp3 root volume";
        }

        foreach (var group in Groups)
        {
            yield return $"Security group {group.Name}:";
            foreach (var rule in group.Rules)
            {
                yield return $"  allow {rule}";
            }
        }

        yield return $"Key pair: {KeyName} ({KeyType})";
        yield return ExistingInstanceProfile is null
            ? $"IAM roles and instance profiles: {string.Join(", ", IamRoles)}"
            : $"IAM: existing instance profile {ExistingInstanceProfile}";
        yield return $"Parameters: {ClusterNaming.JoinParameter(Name)} (written by the master), {ClusterNaming.StatusPath(Name)}<instance-id> (one per node)";
        yield return "Tags: " + string.Join(", ", Tags.Select(t => $"{t.Key}={t.Value}"));
    }
}
