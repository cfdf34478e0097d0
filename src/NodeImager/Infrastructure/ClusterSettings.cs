using System.ComponentModel;
using NodeImager.Core.Configuration;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Infrastructure;

/// <summary>Options every command has.</summary>
public class GlobalSettings : CommandSettings
{
    [CommandOption("--diagnostics")]
    [Description("On errors, show stack traces and AWS request ids.")]
    public bool Diagnostics { get; init; }
}

/// <summary>The cluster flags shared by render, up and the commands that describe a cluster. Each one maps onto a
/// configuration key (see the README's table); flags win over NODEIMAGER_* variables, which win over the YAML file.</summary>
public class ClusterSettings : GlobalSettings
{
    [CommandOption("--config <FILE>")]
    [Description("YAML configuration file (default: ./nodeimager.yaml when it exists).")]
    public string? Config { get; init; }

    [CommandOption("--templates <DIR>")]
    [Description("Use the templates in DIR instead of the ones shipped with the tool; DIR must hold every template.")]
    public string? Templates { get; init; }

    [CommandOption("--images <DIR>")]
    [Description("Golden-image recipes folder (default: images/ beside the tool, or NODEIMAGER_IMAGES).")]
    public string? Images { get; init; }

    [CommandOption("--name <NAME>")]
    [Description("Cluster name (DNS-label-safe, at most 40 characters). Default: nodeimager.")]
    public string? Name { get; init; }

    [CommandOption("--region <REGION>")]
    [Description("AWS region (default: from the AWS chain).")]
    public string? Region { get; init; }

    [CommandOption("--kubernetes-version <VERSION>")]
    [Description("Kubernetes minor (1.35, 1.36, 1.37) or exact patch (1.37.2). Default: the newest supported minor.")]
    public string? KubernetesVersion { get; init; }

    [CommandOption("--masters <N>")]
    [Description("Control-plane nodes (1 for now).")]
    public string? Masters { get; init; }

    [CommandOption("--workers <N>")]
    [Description("Worker nodes, 0 to 200. Default: 2.")]
    public string? Workers { get; init; }

    [CommandOption("--master-instance-type <TYPE>")]
    [Description("EC2 instance type for masters. Default: t3.medium.")]
    public string? MasterInstanceType { get; init; }

    [CommandOption("--worker-instance-type <TYPE>")]
    [Description("EC2 instance type for workers. Default: t3.medium.")]
    public string? WorkerInstanceType { get; init; }

    [CommandOption("--pod-cidr <CIDR>")]
    [Description("Pod network. Default: 10.244.0.0/16 (flannel's).")]
    public string? PodCidr { get; init; }

    [CommandOption("--service-cidr <CIDR>")]
    [Description("Service network. Default: 10.96.0.0/12.")]
    public string? ServiceCidr { get; init; }

    [CommandOption("--admin-cidr <CIDR>")]
    [Description("Network allowed to reach the API (6443) and SSH (22); repeat for more. Default: your public address /32.")]
    public string[]? AdminCidrs { get; init; }

    [CommandOption("--ttl <DURATION>")]
    [Description("Cluster lifetime (30m, 8h, 2d, or none). Nodes power off when it runs out. Default: 8h.")]
    public string? Ttl { get; init; }

    [CommandOption("--join-timeout <DURATION>")]
    [Description("How long workers wait for the join material. Default: 30m.")]
    public string? JoinTimeout { get; init; }

    [CommandOption("--image <IMAGE>")]
    [Description("ubuntu-24.04 (default), ubuntu-26.04, or a golden-image recipe from images/.")]
    public string? Image { get; init; }

    [CommandOption("--firewall <BOOL>")]
    [Description("Run firewalld on the nodes (true/false). Default: true.")]
    public string? Firewall { get; init; }

    [CommandOption("--tag <KEY=VALUE>")]
    [Description("Extra tag on every resource; repeat for more.")]
    public string[]? Tags { get; init; }

    /// <summary>The flags the user gave, as configuration values for the top layer.</summary>
    public IReadOnlyList<FlagValue> ToFlagValues()
    {
        var flags = new List<FlagValue>();
        void Add(ConfigKey key, string? value)
        {
            if (value is not null)
            {
                flags.Add(new FlagValue(key.Path, value, key.Flag ?? key.Path));
            }
        }

        Add(ConfigKeys.Name, Name);
        Add(ConfigKeys.Region, Region);
        Add(ConfigKeys.KubernetesVersion, KubernetesVersion);
        Add(ConfigKeys.Masters, Masters);
        Add(ConfigKeys.Workers, Workers);
        Add(ConfigKeys.MasterInstanceType, MasterInstanceType);
        Add(ConfigKeys.WorkerInstanceType, WorkerInstanceType);
        Add(ConfigKeys.PodCidr, PodCidr);
        Add(ConfigKeys.ServiceCidr, ServiceCidr);
        foreach (var cidr in AdminCidrs ?? [])
        {
            Add(ConfigKeys.AdminCidrs, cidr);
        }

        Add(ConfigKeys.Ttl, Ttl);
        Add(ConfigKeys.JoinTimeout, JoinTimeout);
        Add(ConfigKeys.Image, Image);
        Add(ConfigKeys.Firewall, Firewall);
        foreach (var tag in Tags ?? [])
        {
            var (key, value) = ClusterSpecLoader.SplitTag(tag);
            flags.Add(new FlagValue($"{ConfigKeys.Tags.Path}:{key}", value, "--tag"));
        }

        return flags;
    }

    public ConfigInputs ToConfigInputs(IReadOnlyDictionary<string, string> environment, string workingDirectory) => new()
    {
        ConfigFile = Config,
        Environment = environment,
        Flags = ToFlagValues(),
        WorkingDirectory = workingDirectory,
    };
}
