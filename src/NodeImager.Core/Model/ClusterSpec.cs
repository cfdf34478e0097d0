namespace NodeImager.Core.Model;

/// <summary>Container runtime settings. containerd is always kubelet's CRI runtime; Docker Engine is installed beside
/// it (with daemon.json's systemd cgroup driver) for people who build and run images on the nodes.</summary>
public sealed record RuntimeSpec(bool Docker, string? SandboxImage)
{
    public static RuntimeSpec Default { get; } = new(Docker: true, SandboxImage: null);
}

/// <summary>Instance type per role.</summary>
public sealed record InstanceTypes(string Master, string Worker)
{
    public string For(NodeRole role) => role == NodeRole.Master ? Master : Worker;
}

/// <summary>Everything that describes one cluster, after all configuration layers are merged and validated.</summary>
public sealed record ClusterSpec
{
    public required string Name { get; init; }

    /// <summary>Null until the AWS chain supplies one (render does not need it: nodes read theirs from IMDS).</summary>
    public string? Region { get; init; }

    public required KubernetesVersion KubernetesVersion { get; init; }

    public int Masters { get; init; } = 1;

    public int Workers { get; init; }

    public required InstanceTypes InstanceTypes { get; init; }

    public required Cidr PodCidr { get; init; }

    public required Cidr ServiceCidr { get; init; }

    public required RuntimeSpec Runtime { get; init; }

    public bool Firewall { get; init; } = true;

    /// <summary>Where 6443 and 22 may be reached from; empty means "the operator's own address", found at launch.</summary>
    public IReadOnlyList<Cidr> AdminCidrs { get; init; } = [];

    /// <summary>Null: the cluster never expires.</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>How long a worker waits for the join material before it reports failure.</summary>
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromMinutes(30);

    public required ImageChoice Image { get; init; }

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    public int NodeCount(NodeRole role) => role == NodeRole.Master ? Masters : Workers;

    /// <summary>Root of the cluster's parameters in the parameter store.</summary>
    public string ParameterPath => ClusterNaming.ParameterPath(Name);
}

/// <summary>The names every part of the tool agrees on.</summary>
public static class ClusterNaming
{
    public const string ClusterTag = "nodeimager:cluster";
    public const string RoleTag = "nodeimager:role";
    public const string ExpiresAtTag = "nodeimager:expires-at";
    public const string CreatorTag = "nodeimager:creator";

    public static string ParameterPath(string cluster) => $"/nodeimager/{cluster}/";

    /// <summary>The SecureString the master publishes: endpoint, token, CA cert hash.</summary>
    public static string JoinParameter(string cluster) => $"/nodeimager/{cluster}/join";

    /// <summary>Each node reports its phase under here, one parameter per instance.</summary>
    public static string StatusPath(string cluster) => $"/nodeimager/{cluster}/status/";
}
