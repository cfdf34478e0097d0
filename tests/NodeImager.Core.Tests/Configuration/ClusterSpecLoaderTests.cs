using NodeImager.Core.Configuration;
using NodeImager.Core.Model;

namespace NodeImager.Core.Tests.Configuration;

public sealed class ClusterSpecLoaderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("nodeimager-config-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private ConfigInputs Inputs(string? yaml = null, Dictionary<string, string>? env = null, params FlagValue[] flags)
    {
        if (yaml is not null)
        {
            File.WriteAllText(Path.Combine(dir, ClusterSpecLoader.DefaultConfigFileName), yaml);
        }

        return new ConfigInputs { WorkingDirectory = dir, Environment = env ?? [], Flags = flags };
    }

    private static SpecValidationException Invalid(ConfigInputs inputs) =>
        Assert.Throws<SpecValidationException>(() => ClusterSpecLoader.Load(inputs));

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var spec = ClusterSpecLoader.Load(Inputs());

        Assert.Equal("nodeimager", spec.Name);
        Assert.Equal(KubernetesReleases.Newest.Minor, spec.KubernetesVersion.ToString());
        Assert.Null(spec.KubernetesVersion.Patch);
        Assert.Equal(1, spec.Masters);
        Assert.Equal(2, spec.Workers);
        Assert.Equal("10.244.0.0/16", spec.PodCidr.ToString());
        Assert.Equal("10.96.0.0/12", spec.ServiceCidr.ToString());
        Assert.Equal("t3.medium", spec.InstanceTypes.For(NodeRole.Master));
        Assert.True(spec.Firewall);
        Assert.True(spec.Runtime.Docker);
        Assert.Empty(spec.AdminCidrs);
        Assert.Equal(TimeSpan.FromHours(8), spec.Ttl);
        Assert.Equal(TimeSpan.FromMinutes(30), spec.JoinTimeout);
        Assert.Equal(ImageChoice.Default, spec.Image);
        Assert.Equal("/nodeimager/nodeimager/", spec.ParameterPath);
    }

    [Fact]
    public void Later_layers_win_file_then_environment_then_flags()
    {
        const string yaml = "workers: 4\npodCidr: 10.200.0.0/16\nname: from-file\nttl: 2h\n";
        var env = new Dictionary<string, string> { ["NODEIMAGER_WORKERS"] = "5", ["NODEIMAGER_NAME"] = "from-env" };

        var spec = ClusterSpecLoader.Load(Inputs(yaml, env, new FlagValue("workers", "6", "--workers")));

        Assert.Equal(6, spec.Workers);
        Assert.Equal("from-env", spec.Name);
        Assert.Equal("10.200.0.0/16", spec.PodCidr.ToString());
        Assert.Equal(TimeSpan.FromHours(2), spec.Ttl);
    }

    [Fact]
    public void Explicit_config_file_is_read_instead_of_the_default_one()
    {
        var other = Path.Combine(dir, "other.yaml");
        File.WriteAllText(other, "workers: 9\n");
        var inputs = Inputs("workers: 4\n") with { ConfigFile = other };

        Assert.Equal(9, ClusterSpecLoader.Load(inputs).Workers);
    }

    [Fact]
    public void Nested_keys_and_lists_and_tags_come_from_yaml()
    {
        const string yaml = """
            instanceTypes:
              master: m7i.large
              worker: t3.large
            runtime:
              docker: false
              sandboxImage: registry.k8s.io/pause:3.10.1
            adminCidrs: [203.0.113.7/32, 198.51.100.0/24]
            tags:
              team: platform
            kubernetesVersion: "1.36.4"
            image: ubuntu-26.04
            firewall: off
            """;

        var spec = ClusterSpecLoader.Load(Inputs(yaml));

        Assert.Equal("m7i.large", spec.InstanceTypes.Master);
        Assert.Equal("t3.large", spec.InstanceTypes.Worker);
        Assert.False(spec.Runtime.Docker);
        Assert.Equal("registry.k8s.io/pause:3.10.1", spec.Runtime.SandboxImage);
        Assert.Equal(["203.0.113.7/32", "198.51.100.0/24"], spec.AdminCidrs.Select(c => c.ToString()));
        Assert.Equal("platform", spec.Tags["team"]);
        Assert.Equal(4, spec.KubernetesVersion.Patch);
        Assert.Equal("1.36.4-1.1", spec.KubernetesVersion.PackageVersion);
        Assert.Equal("26.04", spec.Image.UbuntuRelease);
        Assert.False(spec.Firewall);
    }

    [Fact]
    public void Environment_variables_use_upper_snake_case_names()
    {
        var env = new Dictionary<string, string>
        {
            ["NODEIMAGER_POD_CIDR"] = "10.50.0.0/16",
            ["NODEIMAGER_INSTANCE_TYPES__WORKER"] = "c7i.xlarge",
            ["NODEIMAGER_ADMIN_CIDRS"] = "203.0.113.7/32, 198.51.100.0/24",
            ["NODEIMAGER_TAGS"] = "team=platform,cost=42",
            ["NODEIMAGER_HOME"] = "/somewhere",
        };

        var spec = ClusterSpecLoader.Load(Inputs(env: env));

        Assert.Equal("10.50.0.0/16", spec.PodCidr.ToString());
        Assert.Equal("c7i.xlarge", spec.InstanceTypes.Worker);
        Assert.Equal(2, spec.AdminCidrs.Count);
        Assert.Equal("42", spec.Tags["cost"]);
    }

    [Fact]
    public void A_later_list_replaces_the_whole_earlier_list()
    {
        var spec = ClusterSpecLoader.Load(Inputs("adminCidrs: [10.0.0.0/8, 192.168.0.0/16]\n", null, new FlagValue("adminCidrs", "203.0.113.7/32", "--admin-cidr")));

        Assert.Equal(["203.0.113.7/32"], spec.AdminCidrs.Select(c => c.ToString()));
    }

    [Fact]
    public void Unknown_yaml_key_is_reported_with_line_column_and_a_suggestion()
    {
        var e = Invalid(Inputs("name: demo\nworkrs: 3\n"));

        var problem = Assert.Single(e.Problems);
        Assert.Equal("workrs", problem.Key);
        Assert.EndsWith("nodeimager.yaml:2:1", problem.Source);
        Assert.Contains("did you mean 'workers'", problem.Problem);
    }

    [Fact]
    public void Unknown_nested_yaml_key_is_reported()
    {
        var e = Invalid(Inputs("instanceTypes:\n  mastr: t3.large\n"));

        Assert.Equal("instanceTypes:mastr", Assert.Single(e.Problems).Key);
        Assert.EndsWith(":2:3", e.Problems[0].Source);
    }

    [Fact]
    public void Malformed_yaml_names_line_and_column()
    {
        var e = Invalid(Inputs("name: demo\nworkers: [1, 2\npodCidr: x\n"));

        var problem = Assert.Single(e.Problems);
        Assert.Matches(@"line \d+, column \d+", problem.Problem);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
    }

    [Fact]
    public void A_yaml_file_that_is_not_a_mapping_is_rejected()
    {
        var e = Invalid(Inputs("- workers\n- 3\n"));

        Assert.Contains("must be a YAML mapping", Assert.Single(e.Problems).Problem);
    }

    [Fact]
    public void Missing_explicit_config_file_is_a_problem()
    {
        var e = Invalid(Inputs() with { ConfigFile = "nope.yaml" });

        Assert.Equal("--config", Assert.Single(e.Problems).Key);
        Assert.Contains("no such file", e.Problems[0].Problem);
    }

    [Fact]
    public void Unknown_nodeimager_environment_variable_is_a_problem()
    {
        var e = Invalid(Inputs(env: new Dictionary<string, string> { ["NODEIMAGER_WORKER"] = "3" }));

        Assert.Equal("NODEIMAGER_WORKER", Assert.Single(e.Problems).Key);
        Assert.Contains("NODEIMAGER_WORKERS", e.Problems[0].Problem);
    }

    [Theory]
    [InlineData("workers", "201", "0 to 200")]
    [InlineData("workers", "-1", "whole number")]
    [InlineData("workers", "three", "whole number")]
    [InlineData("masters", "0", "HA control planes")]
    [InlineData("masters", "3", "HA control planes")]
    [InlineData("podCidr", "10.244.0.0", "CIDR notation")]
    [InlineData("podCidr", "10.244.1.0/16", "host bits are set; the network is 10.244.0.0/16")]
    [InlineData("podCidr", "300.1.0.0/16", "CIDR notation")]
    [InlineData("podCidr", "10.244.0.0/26", "too small")]
    [InlineData("serviceCidr", "10.244.0.0/20", "overlaps the pod network 10.244.0.0/16")]
    [InlineData("serviceCidr", "100.0.0.0/8", "between /12 and /24")]
    [InlineData("kubernetesVersion", "1.34", "supported minors: 1.35, 1.36, 1.37")]
    [InlineData("kubernetesVersion", "1.38", "supported minors")]
    [InlineData("kubernetesVersion", "latest", "supported minors")]
    [InlineData("name", "My_Cluster", "lower-case letters")]
    [InlineData("name", "-demo", "start with a letter")]
    [InlineData("name", "a-name-that-is-far-too-long-for-iam-role-names-x", "1-40 characters")]
    [InlineData("region", "mars-1", "AWS region")]
    [InlineData("ttl", "forever", "duration like 30m")]
    [InlineData("ttl", "5m", "between 10m and 30d")]
    [InlineData("joinTimeout", "none", "duration like 30m")]
    [InlineData("firewall", "maybe", "true or false")]
    [InlineData("image", "Ubuntu 24.04", "ubuntu-24.04 or ubuntu-26.04")]
    [InlineData("instanceTypes:master", "big", "EC2 instance type")]
    [InlineData("adminCidrs", "everyone", "CIDR notation")]
    [InlineData("runtime:sandboxImage", "Not An Image", "container image reference")]
    [InlineData("tags:aws:owner", "x", "reserved")]
    [InlineData("tags:nodeimager:cluster", "x", "reserved")]
    public void Each_rule_names_the_key_the_value_and_what_is_allowed(string key, string value, string expected)
    {
        var e = Invalid(Inputs(null, null, new FlagValue(key, value, "--" + key)));

        var problem = Assert.Single(e.Problems);
        Assert.Equal(key, problem.Key);
        Assert.Contains(expected, problem.Problem);
        Assert.Contains(key, e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        if (!key.StartsWith("serviceCidr", StringComparison.Ordinal))
        {
            Assert.Equal(value, problem.Value);
            Assert.Equal("--" + key, problem.Source);
        }
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var e = Invalid(Inputs("workers: 900\nname: Bad\n", null, new FlagValue("podCidr", "nope", "--pod-cidr"), new FlagValue("kubernetesVersion", "1.20", "--kubernetes-version")));

        Assert.Equal(["kubernetesVersion", "name", "podCidr", "workers"], e.Problems.Select(p => p.Key).Order());
        Assert.Contains("4 problems", e.Message);
    }

    [Fact]
    public void Problems_say_which_layer_the_bad_value_came_from()
    {
        var e = Invalid(Inputs("workers: 900\n", new Dictionary<string, string> { ["NODEIMAGER_POD_CIDR"] = "x" }));

        Assert.EndsWith("nodeimager.yaml:1:1", e.Problems.Single(p => p.Key == "workers").Source);
        Assert.Equal("environment NODEIMAGER_POD_CIDR", e.Problems.Single(p => p.Key == "podCidr").Source);
    }

    [Theory]
    [InlineData("90m", 90)]
    [InlineData("8h", 480)]
    [InlineData("1h30m", 90)]
    [InlineData("2d", 2880)]
    public void Durations_parse(string text, int minutes) =>
        Assert.Equal(TimeSpan.FromMinutes(minutes), ClusterSpecLoader.ParseDuration(text));

    [Fact]
    public void A_ttl_of_none_means_the_cluster_never_expires() =>
        Assert.Null(ClusterSpecLoader.Load(Inputs(null, null, new FlagValue("ttl", "none", "--ttl"))).Ttl);

    [Fact]
    public void Every_key_has_a_unique_environment_variable_and_a_description()
    {
        Assert.Equal(ConfigKeys.All.Count, ConfigKeys.All.Select(k => k.EnvironmentVariable).Distinct().Count());
        Assert.All(ConfigKeys.All, k => Assert.False(string.IsNullOrWhiteSpace(k.Description)));
        Assert.Equal("NODEIMAGER_INSTANCE_TYPES__MASTER", ConfigKeys.MasterInstanceType.EnvironmentVariable);
        Assert.Equal("NODEIMAGER_POD_CIDR", ConfigKeys.PodCidr.EnvironmentVariable);
    }
}
