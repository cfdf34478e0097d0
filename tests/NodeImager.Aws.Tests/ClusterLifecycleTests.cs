using System.Text.Json;
using Amazon.EC2.Model;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Configuration;
using NodeImager.Core.Model;
using NodeImager.Core.Rendering;

namespace NodeImager.Aws.Tests;

/// <summary>up, status, down and reap against the emulator, checked with the real aws CLI and the request recording.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class ClusterLifecycleTests(Emulator emulator) : IAsyncLifetime, IDisposable
{
    private readonly CliRun cli = new(emulator);

    public Task InitializeAsync() => emulator.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Up_creates_the_expected_tagged_resources_with_two_RunInstances_calls()
    {
        await emulator.StartRecordingAsync();
        var up = await cli.UpAsync("alpha", "--workers", "3", "--no-wait", "--tag", "team=platform");
        var recorded = await emulator.StopRecordingAsync();
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Contains("nodeimager down alpha", up.Output);

        // What was SENT (moto does not echo MetadataOptions): one call per role, count in one go.
        var runs = recorded.Where(r => r.Action == "RunInstances").ToList();
        Assert.Equal(2, runs.Count);
        Assert.Equal(["1", "3"], runs.Select(r => r.Parameter("MinCount")!).Order());
        foreach (var run in runs)
        {
            Assert.Equal(run.Parameter("MinCount"), run.Parameter("MaxCount"));
            Assert.Equal("required", run.Parameter("MetadataOptions.HttpTokens"));
            Assert.Equal("enabled", run.Parameter("MetadataOptions.HttpEndpoint"));
            Assert.Equal("1", run.Parameter("MetadataOptions.HttpPutResponseHopLimit"));
            Assert.Equal("true", run.Parameter("BlockDeviceMapping.1.Ebs.Encrypted"));
            Assert.Equal("gp3", run.Parameter("BlockDeviceMapping.1.Ebs.VolumeType"));
            Assert.Equal("terminate", run.Parameter("InstanceInitiatedShutdownBehavior"));
            // User-data is exactly the renderer's document for the role, rendered with the tagged expiry.
            var role = run.Parameter("MinCount") == "1" ? NodeRole.Master : NodeRole.Worker;
            var expiresAt = DateTimeOffset.Parse(TagValue(run, "nodeimager:expires-at"), System.Globalization.CultureInfo.InvariantCulture);
            var sent = Convert.FromBase64String(run.Parameter("UserData")!);
            Assert.InRange(sent.Length, 1, 16_384);
            var expected = ExpectedUserData(role, expiresAt);
            Assert.Equal(expected.UserData, sent);
            Assert.StartsWith("#cloud-config", expected.Text, StringComparison.Ordinal);
            Assert.Contains(new[] { "TagSpecification.1.ResourceType", "TagSpecification.2.ResourceType" }, p => run.Parameter(p) == "volume");
        }

        // moto attaches a multi-count launch's profile to the first instance only, so check what was asked for.
        Assert.Equal(["nodeimager-alpha-master", "nodeimager-alpha-worker"], runs.Select(r => r.Parameter("IamInstanceProfile.Name")!).Order());
        using var roles = await emulator.AwsCliAsync("iam", "list-roles", "--path-prefix", "/nodeimager/alpha/");
        Assert.Equal(["nodeimager-alpha-master", "nodeimager-alpha-worker"], roles.RootElement.GetProperty("Roles").EnumerateArray().Select(r => r.GetProperty("RoleName").GetString()!).Order());

        Assert.DoesNotContain(recorded, r => r.Action == "ModifyInstanceMetadataOptions");

        // What exists, seen by the real aws CLI.
        using var described = await emulator.AwsCliAsync("ec2", "describe-instances", "--filters", "Name=tag:nodeimager:cluster,Values=alpha");
        var instances = CliRun.Instances(described).ToList();
        Assert.Equal(4, instances.Count);
        Assert.Single(instances, i => CliRun.Tag(i, "nodeimager:role") == "master");
        Assert.Equal(3, instances.Count(i => CliRun.Tag(i, "nodeimager:role") == "worker"));
        Assert.All(instances, i =>
        {
            Assert.Equal("platform", CliRun.Tag(i, "team"));
            Assert.StartsWith("arn:aws:", CliRun.Tag(i, "nodeimager:creator"));
            var expires = DateTimeOffset.Parse(CliRun.Tag(i, "nodeimager:expires-at")!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(7.9), TimeSpan.FromHours(8.1));
            Assert.Equal("nodeimager-alpha", i.GetProperty("KeyName").GetString());
        });

        using var volumes = await emulator.AwsCliAsync("ec2", "describe-volumes", "--filters", "Name=tag:nodeimager:cluster,Values=alpha");
        Assert.Equal(4, volumes.RootElement.GetProperty("Volumes").GetArrayLength());

        using var groups = await emulator.AwsCliAsync("ec2", "describe-security-groups", "--filters", "Name=tag:nodeimager:cluster,Values=alpha");
        var byName = groups.RootElement.GetProperty("SecurityGroups").EnumerateArray().ToDictionary(g => g.GetProperty("GroupName").GetString()!);
        Assert.Equal(["nodeimager-alpha-master", "nodeimager-alpha-worker"], byName.Keys.Order());
        var masterId = byName["nodeimager-alpha-master"].GetProperty("GroupId").GetString()!;
        var workerId = byName["nodeimager-alpha-worker"].GetProperty("GroupId").GetString()!;
        var masterRules = Rules(byName["nodeimager-alpha-master"]);
        var workerRules = Rules(byName["nodeimager-alpha-worker"]);
        Assert.Equal(
            new[]
            {
                $"tcp 10250-10250 {masterId}", $"tcp 10257-10257 {masterId}", $"tcp 10259-10259 {masterId}",
                $"tcp 22-22 203.0.113.7/32", $"tcp 2379-2380 {masterId}",
                $"tcp 6443-6443 {masterId}", $"tcp 6443-6443 {workerId}", "tcp 6443-6443 203.0.113.7/32",
                $"udp 8472-8472 {masterId}", $"udp 8472-8472 {workerId}",
            }.Order(StringComparer.Ordinal),
            masterRules);
        Assert.Equal(
            new[]
            {
                $"tcp 10250-10250 {masterId}", $"tcp 10250-10250 {workerId}", $"tcp 10256-10256 {masterId}", $"tcp 10256-10256 {workerId}",
                "tcp 22-22 203.0.113.7/32",
                $"tcp 30000-32767 {masterId}", $"tcp 30000-32767 {workerId}",
                $"udp 8472-8472 {masterId}", $"udp 8472-8472 {workerId}",
            }.Order(StringComparer.Ordinal),
            workerRules);

        using var keys = await emulator.AwsCliAsync("ec2", "describe-key-pairs", "--filters", "Name=tag:nodeimager:cluster,Values=alpha");
        Assert.Equal("nodeimager-alpha", keys.RootElement.GetProperty("KeyPairs")[0].GetProperty("KeyName").GetString());
        var keyFile = Path.Combine(cli.Home, "clusters", "alpha", "id_ed25519");
        Assert.Contains("PRIVATE KEY", await File.ReadAllTextAsync(keyFile));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(keyFile)!));
        }
    }

    [Fact]
    public async Task Spot_and_an_existing_instance_profile_are_sent_as_asked_through_the_endpoint_flag()
    {
        await emulator.AwsCliAsync("iam", "create-instance-profile", "--instance-profile-name", "shared-nodes");
        var environment = cli.DefaultEnvironment();
        environment.Remove("AWS_ENDPOINT_URL");
        await emulator.StartRecordingAsync();
        var up = await cli.RunAsync(environment, CancellationToken.None, "up", "--name", "pi", "--workers", "1", "--no-wait", "--spot", "--instance-profile", "shared-nodes",
            "--admin-cidr", "203.0.113.7/32", "--ami", await cli.SomeImageAsync(), "--endpoint-url", emulator.Endpoint);
        var recorded = await emulator.StopRecordingAsync();

        Assert.True(up.ExitCode == 0, up.ToString());
        var runs = recorded.Where(r => r.Action == "RunInstances").ToList();
        Assert.Equal(2, runs.Count);
        Assert.All(runs, r =>
        {
            Assert.Equal("spot", r.Parameter("InstanceMarketOptions.MarketType"));
            Assert.Equal("shared-nodes", r.Parameter("IamInstanceProfile.Name"));
        });
        Assert.DoesNotContain(recorded, r => r.Action == "CreateRole");
    }

    [Fact]
    public async Task Down_removes_everything_the_real_cli_can_find_and_a_second_down_finds_nothing()
    {
        Assert.Equal(0, (await cli.UpAsync("beta", "--workers", "2", "--no-wait")).ExitCode);
        await cli.PutStatusAsync("beta", "i-0000", "worker", "booting", "apt");
        await cli.Aws.Ssm.PutParameterAsync(new Amazon.SimpleSystemsManagement.Model.PutParameterRequest { Name = "/nodeimager/beta/join", Type = Amazon.SimpleSystemsManagement.ParameterType.SecureString, Value = "{}" });
        Assert.Equal(0, (await cli.UpAsync("gamma", "--workers", "1", "--no-wait")).ExitCode);

        var down = await cli.RunAsync("down", "beta", "--poll-interval", "0.1");
        Assert.True(down.ExitCode == 0, down.ToString());
        Assert.Contains("Cluster beta is gone", down.Output);
        await AssertNothingTaggedAsync("beta");
        Assert.False(Directory.Exists(Path.Combine(cli.Home, "clusters", "beta")));

        // The other cluster is untouched.
        using var gamma = await emulator.AwsCliAsync("ec2", "describe-instances", "--filters", "Name=tag:nodeimager:cluster,Values=gamma", "Name=instance-state-name,Values=pending,running");
        Assert.Equal(2, CliRun.Instances(gamma).Count());

        var again = await cli.RunAsync("down", "beta");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("Nothing was left of cluster beta", again.Output);
    }

    [Fact]
    public async Task Down_of_an_unknown_cluster_says_nothing_was_there_and_succeeds()
    {
        await emulator.StartRecordingAsync();
        var down = await cli.RunAsync("down", "never-made");
        var recorded = await emulator.StopRecordingAsync();
        Assert.True(down.ExitCode == 0, down.ToString());
        Assert.Contains("Nothing was left of cluster never-made", down.Output);
        Assert.DoesNotContain(recorded, r => r.Action.StartsWith("Delete", StringComparison.Ordinal) || r.Action.StartsWith("Terminate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_ami_up_takes_canonicals_newest_ubuntu_image_when_the_public_parameter_is_missing()
    {
        // The emulator (like some partitions) has no /aws/service/canonical parameter; tests/tools/emulator.sh seeds
        // one Canonical-owned image per Ubuntu release beside moto's own, older ones.
        await emulator.StartRecordingAsync();
        var up = await cli.RunAsync("up", "--name", "omicron", "--workers", "1", "--no-wait", "--admin-cidr", "203.0.113.7/32");
        var recorded = await emulator.StopRecordingAsync();

        Assert.True(up.ExitCode == 0, up.ToString());
        using var images = await emulator.AwsCliAsync("ec2", "describe-images", "--owners", "099720109477", "--filters", "Name=name,Values=*-24.04-amd64-server-*");
        var expected = images.RootElement.GetProperty("Images").EnumerateArray().Single().GetProperty("ImageId").GetString();
        Assert.Contains($"image {expected}", up.Output, StringComparison.Ordinal);
        Assert.All(recorded.Where(r => r.Action == "RunInstances"), r => Assert.Equal(expected, r.Parameter("ImageId")));

        // The parameter was asked for first, then EC2 by owner and name.
        var lookups = recorded.Where(r => r.Action is "GetParameter" or "DescribeImages").Select(r => r.Action).ToList();
        Assert.Equal(["GetParameter", "DescribeImages"], lookups.Take(2));
        Assert.Contains("099720109477", recorded.First(r => r.Action == "DescribeImages").Body, StringComparison.Ordinal);
        Assert.Equal(0, (await cli.RunAsync("down", "omicron")).ExitCode);
    }

    [Fact]
    public async Task Down_dry_run_lists_and_changes_nothing()
    {
        Assert.Equal(0, (await cli.UpAsync("delta", "--workers", "1", "--no-wait")).ExitCode);
        await emulator.StartRecordingAsync();
        var dry = await cli.RunAsync("down", "delta", "--dry-run");
        var recorded = await emulator.StopRecordingAsync();
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("security group", dry.Output);
        Assert.Contains("nodeimager-delta", dry.Output);
        Assert.All(recorded, r => Assert.Matches("^(Describe|Get|List)", r.Action));
    }

    [Fact]
    public async Task Up_of_an_existing_name_refuses_and_launches_nothing()
    {
        Assert.Equal(0, (await cli.UpAsync("epsilon", "--workers", "1", "--no-wait")).ExitCode);
        await emulator.StartRecordingAsync();
        var again = await cli.UpAsync("epsilon", "--workers", "1", "--no-wait");
        var recorded = await emulator.StopRecordingAsync();
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already exists", again.Output);
        Assert.Contains("nodeimager down epsilon", again.Output);
        Assert.All(recorded, r => Assert.Matches("^(Describe|Get|List)", r.Action));
    }

    [Fact]
    public async Task Up_dry_run_prints_the_plan_and_changes_nothing()
    {
        await emulator.StartRecordingAsync();
        var dry = await cli.UpAsync("zeta", "--workers", "2", "--dry-run");
        var recorded = await emulator.StopRecordingAsync();
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("2 x worker", dry.Output);
        Assert.Contains("nodeimager-zeta-master", dry.Output);
        Assert.Contains("udp 8472 from worker group", dry.Output);
        Assert.Contains("tcp 6443 from 203.0.113.7/32", dry.Output);
        Assert.Contains("/nodeimager/zeta/status/", dry.Output);
        Assert.Contains("nodeimager-zeta-worker", dry.Output);
        Assert.NotEmpty(recorded);
        Assert.All(recorded, r => Assert.Matches("^(Describe|Get|List)", r.Action));
    }

    [Fact]
    public async Task No_credentials_and_no_region_fail_before_any_call()
    {
        await emulator.StartRecordingAsync();
        var noKeys = cli.DefaultEnvironment();
        noKeys.Remove("AWS_ACCESS_KEY_ID");
        noKeys.Remove("AWS_SECRET_ACCESS_KEY");
        var noCredentials = await cli.RunAsync(noKeys, CancellationToken.None, "up", "--name", "eta", "--admin-cidr", "203.0.113.7/32");
        var noRegionEnv = cli.DefaultEnvironment();
        noRegionEnv.Remove("AWS_REGION");
        noRegionEnv.Remove("AWS_DEFAULT_REGION");
        var noRegion = await cli.RunAsync(noRegionEnv, CancellationToken.None, "up", "--name", "eta", "--admin-cidr", "203.0.113.7/32");
        var recorded = await emulator.StopRecordingAsync();

        Assert.Equal(2, noCredentials.ExitCode);
        Assert.Contains("No AWS credentials", noCredentials.Output);
        Assert.Contains("Hint:", noCredentials.Output);
        Assert.Equal(2, noRegion.ExitCode);
        Assert.Contains("No AWS region", noRegion.Output);
        Assert.Contains("--region", noRegion.Output);
        Assert.Empty(recorded);
    }

    [Fact]
    public async Task Up_without_a_default_VPC_asks_for_a_subnet()
    {
        var ec2 = cli.Aws.Ec2;
        var vpc = (await ec2.DescribeVpcsAsync(new DescribeVpcsRequest { Filters = [new("is-default", ["true"])] })).Vpcs[0].VpcId;
        foreach (var subnet in (await ec2.DescribeSubnetsAsync(new DescribeSubnetsRequest { Filters = [new("vpc-id", [vpc])] })).Subnets)
        {
            await ec2.DeleteSubnetAsync(new DeleteSubnetRequest { SubnetId = subnet.SubnetId });
        }

        await ec2.DeleteVpcAsync(new DeleteVpcRequest { VpcId = vpc });
        using var left = await emulator.AwsCliAsync("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true");
        Assert.Equal(0, left.RootElement.GetProperty("Vpcs").GetArrayLength());

        await emulator.StartRecordingAsync();
        var up = await cli.UpAsync("theta", "--no-wait");
        var recorded = await emulator.StopRecordingAsync();
        Assert.Equal(2, up.ExitCode);
        Assert.Contains("no default VPC", up.Output);
        Assert.Contains("--subnet-id", up.Output);
        Assert.All(recorded, r => Assert.Matches("^(Describe|Get|List)", r.Action));

        var missing = await cli.UpAsync("theta", "--no-wait", "--subnet-id", "subnet-0000000000000000a");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("subnet-0000000000000000a does not exist", missing.Output);

        // With a subnet of another VPC, up goes there (and checks the pod network against that VPC).
        var own = (await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.20.0.0/16" })).Vpc.VpcId;
        var subnetId = (await ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = own, CidrBlock = "10.20.1.0/24" })).Subnet.SubnetId;
        var there = await cli.UpAsync("theta", "--no-wait", "--workers", "1", "--subnet-id", subnetId);
        Assert.True(there.ExitCode == 0, there.ToString());
        using var described = await emulator.AwsCliAsync("ec2", "describe-instances", "--filters", "Name=tag:nodeimager:cluster,Values=theta");
        Assert.All(CliRun.Instances(described), i => Assert.Equal(subnetId, i.GetProperty("SubnetId").GetString()));
        using var groups = await emulator.AwsCliAsync("ec2", "describe-security-groups", "--filters", "Name=tag:nodeimager:cluster,Values=theta");
        Assert.All(groups.RootElement.GetProperty("SecurityGroups").EnumerateArray(), g => Assert.Equal(own, g.GetProperty("VpcId").GetString()));
    }

    [Fact]
    public async Task Up_refuses_a_pod_network_that_overlaps_the_VPC()
    {
        await emulator.StartRecordingAsync();
        var up = await cli.UpAsync("iota", "--pod-cidr", "172.31.0.0/16", "--no-wait");
        var recorded = await emulator.StopRecordingAsync();
        Assert.Equal(2, up.ExitCode);
        Assert.Contains("overlaps the VPC network 172.31.0.0/16", up.Output);
        Assert.All(recorded, r => Assert.Matches("^(Describe|Get|List)", r.Action));
    }

    [Fact]
    public async Task Status_lists_clusters_and_shows_node_phases_as_json()
    {
        Assert.Equal(0, (await cli.UpAsync("kappa", "--workers", "2", "--no-wait")).ExitCode);
        var master = (await cli.WaitForInstancesAsync("kappa", 3)).First(i => i.Role == "master").Id;
        await cli.PutStatusAsync("kappa", master, "master", "initialising", "kubeadm-init");

        var list = await cli.RunAsync("status");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("kappa", list.Output);

        var json = await cli.RunAsync("status", "kappa", "--output", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Output);
        var nodes = doc.RootElement.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(3, nodes.Count);
        var m = Assert.Single(nodes, n => n.GetProperty("role").GetString() == "master");
        Assert.Equal("initialising", m.GetProperty("phase").GetString());
        Assert.Equal("kubeadm-init", m.GetProperty("step").GetString());
        Assert.All(nodes.Where(n => n.GetProperty("role").GetString() == "worker"), n => Assert.Equal("booting", n.GetProperty("phase").GetString()));
    }

    [Fact]
    public async Task A_waiting_up_completes_when_every_node_reports_ready()
    {
        // The kubeconfig fetch over SSH is proven with a real sshd in UpKubeconfigTests; moto's addresses are never dialled.
        var up = cli.UpAsync("lambda", "--workers", "2", "--timeout", "2m", "--no-kubeconfig");
        var ids = await cli.WaitForInstancesAsync("lambda", 3);
        foreach (var (id, role) in ids)
        {
            await cli.PutStatusAsync("lambda", id, role, "ready", "done");
        }

        var result = await up.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Cluster lambda is ready", result.Output);
        Assert.Contains("ssh -i", result.Output);
    }

    [Fact]
    public async Task A_waiting_up_fails_fast_on_a_failed_node_with_its_step_log_and_the_down_command()
    {
        var up = cli.UpAsync("mu", "--workers", "1", "--timeout", "5m");
        var ids = await cli.WaitForInstancesAsync("mu", 2);
        var worker = ids.First(i => i.Role == "worker").Id;
        var started = DateTimeOffset.UtcNow;
        await cli.PutStatusAsync("mu", worker, "worker", "failed", "kubeadm-join", "join timed out", "line one\nerror: could not reach the API");

        var result = await up.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.InRange(DateTimeOffset.UtcNow - started, TimeSpan.Zero, TimeSpan.FromSeconds(15));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"worker {worker} failed at step 'kubeadm-join'", result.Output);
        Assert.Contains("could not reach the API", result.Output);
        Assert.Contains("nodeimager down mu", result.Output);
    }

    [Fact]
    public async Task Ctrl_C_while_waiting_exits_130_and_names_the_down_command()
    {
        using var cancellation = new CancellationTokenSource();
        var up = cli.RunAsync(cli.DefaultEnvironment(), cancellation.Token, "up", "--name", "tau", "--workers", "1", "--admin-cidr", "203.0.113.7/32",
            "--ami", await cli.SomeImageAsync(), "--poll-interval", "0.1");
        await cli.WaitForInstancesAsync("tau", 2);
        await Task.Delay(300);
        await cancellation.CancelAsync();

        var result = await up.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(130, result.ExitCode);
        Assert.Contains("Cancelled", result.Output);
        Assert.Contains("nodeimager down tau", result.Output);
    }

    [Fact]
    public async Task Reap_removes_only_the_expired_clusters()
    {
        Assert.Equal(0, (await cli.UpAsync("old", "--workers", "1", "--no-wait")).ExitCode);
        Assert.Equal(0, (await cli.UpAsync("young", "--workers", "1", "--no-wait")).ExitCode);
        Assert.Equal(0, (await cli.UpAsync("forever", "--workers", "1", "--no-wait", "--ttl", "none")).ExitCode);

        // As if "old" had been made long ago: its expiry (on every resource) is in the past.
        var resources = (await cli.WaitForInstancesAsync("old", 2)).Select(i => i.Id).ToList();
        var ec2 = cli.Aws.Ec2;
        resources.AddRange((await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = [new("tag:nodeimager:cluster", ["old"])] })).SecurityGroups.Select(g => g.GroupId));
        await ec2.CreateTagsAsync(new CreateTagsRequest { Resources = resources, Tags = [new("nodeimager:expires-at", "2020-01-01T00:00:00Z")] });

        var dry = await cli.RunAsync("reap", "--dry-run");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("Cluster old expired", dry.Output);
        Assert.DoesNotContain("young", dry.Output);

        var reap = await cli.RunAsync("reap", "--poll-interval", "0.1");
        Assert.True(reap.ExitCode == 0, reap.ToString());
        Assert.Contains("Cluster old is gone", reap.Output);
        await AssertNothingTaggedAsync("old");
        using var still = await emulator.AwsCliAsync("ec2", "describe-instances", "--filters", "Name=tag:nodeimager:cluster,Values=young,forever", "Name=instance-state-name,Values=pending,running");
        Assert.Equal(4, CliRun.Instances(still).Count());
    }

    private static string TagValue(RecordedRequest run, string key)
    {
        for (var spec = 1; spec <= 2; spec++)
        {
            for (var tag = 1; run.Parameter($"TagSpecification.{spec}.Tag.{tag}.Key") is { } name; tag++)
            {
                if (name == key)
                {
                    return run.Parameter($"TagSpecification.{spec}.Tag.{tag}.Value")!;
                }
            }
        }

        throw new InvalidOperationException($"{key} was not sent");
    }

    /// <summary>What the renderer makes of the spec the test's flags describe.</summary>
    private static RenderedDocument ExpectedUserData(NodeRole role, DateTimeOffset expiresAt)
    {
        var spec = ClusterSpecLoader.Load(new ConfigInputs
        {
            WorkingDirectory = Path.GetTempPath(),
            Flags = [new("name", "alpha", "--name"), new("workers", "3", "--workers"), new("adminCidrs", "203.0.113.7/32", "--admin-cidr"), new("tags:team", "platform", "--tag")],
        }) with
        { Region = Emulator.Region };
        var catalog = TemplateCatalog.LoadOrThrow(Path.Combine(Emulator.RepositoryRoot, "templates"));
        return new ClusterRenderer(catalog).Render(spec, new RenderOptions(expiresAt)).For(role);
    }

    private static List<string> Rules(JsonElement group) =>
        [.. group.GetProperty("IpPermissions").EnumerateArray().SelectMany(p =>
        {
            var prefix = $"{p.GetProperty("IpProtocol").GetString()} {p.GetProperty("FromPort").GetInt32()}-{p.GetProperty("ToPort").GetInt32()}";
            return p.GetProperty("UserIdGroupPairs").EnumerateArray().Select(g => $"{prefix} {g.GetProperty("GroupId").GetString()}")
                .Concat(p.GetProperty("IpRanges").EnumerateArray().Select(r => $"{prefix} {r.GetProperty("CidrIp").GetString()}"));
        }).Order(StringComparer.Ordinal)];

    private async Task AssertNothingTaggedAsync(string cluster) => Assert.Empty(await emulator.ClusterLeftoversAsync(cluster));
}
