namespace NodeImager.Core.Configuration;

/// <summary>How a key's value is shaped in YAML.</summary>
public enum ConfigKeyShape
{
    Scalar,

    /// <summary>A YAML sequence; in the environment and on the command line, a comma-separated list. A later layer
    /// replaces the whole list.</summary>
    List,

    /// <summary>A YAML mapping of free-form keys (tags); layers merge key by key.</summary>
    Map,
}

/// <summary>One configuration key: its path (":" separates levels), default, meaning and flag.</summary>
public sealed record ConfigKey(string Path, string Default, string Description, string? Flag = null, ConfigKeyShape Shape = ConfigKeyShape.Scalar)
{
    /// <summary>NODEIMAGER_ plus the path in upper snake case: podCidr -> NODEIMAGER_POD_CIDR,
    /// instanceTypes:master -> NODEIMAGER_INSTANCE_TYPES__MASTER.</summary>
    public string EnvironmentVariable => "NODEIMAGER_" + string.Join("__", Path.Split(':').Select(ToSnake));

    private static string ToSnake(string segment) =>
        string.Concat(segment.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + c : char.ToUpperInvariant(c).ToString()));
}

/// <summary>The one list of configuration keys: the loader, the README and the tests all read it.</summary>
public static class ConfigKeys
{
    public static readonly ConfigKey Name = new("name", "nodeimager", "Cluster name: lower-case letters, digits and '-', starting with a letter, at most 40 characters (it is part of IAM role names).", "--name");
    public static readonly ConfigKey Region = new("region", "", "AWS region; empty takes it from the AWS chain (AWS_REGION, profile). Not needed by render.", "--region");
    public static readonly ConfigKey KubernetesVersion = new("kubernetesVersion", Model.KubernetesReleases.Newest.Minor, "Kubernetes minor (1.35, 1.36, 1.37) or an exact patch (1.37.2) to pin; a minor installs its newest patch at boot.", "--kubernetes-version");
    public static readonly ConfigKey Masters = new("masters", "1", "Control-plane nodes. 1 for now: stacked-etcd HA is not built yet.", "--masters");
    public static readonly ConfigKey Workers = new("workers", "2", "Worker nodes, 0 to 200.", "--workers");
    public static readonly ConfigKey MasterInstanceType = new("instanceTypes:master", "t3.medium", "EC2 instance type for masters (kubeadm needs at least 2 vCPU and 2 GiB).", "--master-instance-type");
    public static readonly ConfigKey WorkerInstanceType = new("instanceTypes:worker", "t3.medium", "EC2 instance type for workers.", "--worker-instance-type");
    public static readonly ConfigKey PodCidr = new("podCidr", "10.244.0.0/16", "Pod network; kubeadm's podSubnet and flannel's Network both get it.", "--pod-cidr");
    public static readonly ConfigKey ServiceCidr = new("serviceCidr", "10.96.0.0/12", "Service network; must not overlap the pod network.", "--service-cidr");
    public static readonly ConfigKey RuntimeDocker = new("runtime:docker", "true", "Install Docker Engine beside containerd (daemon.json uses the systemd cgroup driver). kubelet always talks to containerd.");
    public static readonly ConfigKey RuntimeSandboxImage = new("runtime:sandboxImage", "", "Override the pause image pinned in containerd's config; empty uses the one kubeadm expects for the version.");
    public static readonly ConfigKey Firewall = new("firewall", "true", "Run firewalld on nodes with the control-plane, node and flannel ports open and the pod network trusted.", "--firewall");
    public static readonly ConfigKey AdminCidrs = new("adminCidrs", "", "Networks allowed to reach 6443 and 22; empty means the operator's own public address as /32. 0.0.0.0/0 only when given explicitly.", "--admin-cidr", ConfigKeyShape.List);
    public static readonly ConfigKey Ttl = new("ttl", "8h", "Lifetime (30m, 8h, 2d); nodes power themselves off when it runs out and `reap` removes the cluster. 'none' keeps it.", "--ttl");
    public static readonly ConfigKey JoinTimeout = new("joinTimeout", "30m", "How long a worker waits for the master's join material before it reports failure.", "--join-timeout");
    public static readonly ConfigKey Image = new("image", "ubuntu-24.04", "ubuntu-24.04, ubuntu-26.04, or the name of a golden-image recipe in images/.", "--image");
    public static readonly ConfigKey Tags = new("tags", "", "Extra tags on every resource (keys may not start with aws: or nodeimager:).", "--tag", ConfigKeyShape.Map);

    public static IReadOnlyList<ConfigKey> All { get; } =
    [
        Name, Region, KubernetesVersion, Masters, Workers, MasterInstanceType, WorkerInstanceType, PodCidr, ServiceCidr,
        RuntimeDocker, RuntimeSandboxImage, Firewall, AdminCidrs, Ttl, JoinTimeout, Image, Tags,
    ];

    public static ConfigKey? Find(string path) =>
        All.FirstOrDefault(k => string.Equals(k.Path, path, StringComparison.OrdinalIgnoreCase));

    /// <summary>True when <paramref name="path"/> is a section with keys below it (instanceTypes, runtime).</summary>
    public static bool IsSection(string path) =>
        All.Any(k => k.Path.StartsWith(path + ":", StringComparison.OrdinalIgnoreCase));
}
