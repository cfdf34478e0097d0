using NodeImager.Core.Configuration;
using NodeImager.Core.Model;
using NodeImager.Core.Orchestration;

namespace NodeImager.Core.Tests.Orchestration;

public sealed class ClusterLauncherTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private readonly string home = Directory.CreateTempSubdirectory("nodeimager-launcher-").FullName;
    private readonly FakeCloud cloud = new();
    private readonly FixedUserData userData = new();

    public void Dispose() => Directory.Delete(home, recursive: true);

    internal static ClusterSpec Spec(params string[] flags)
    {
        var values = new List<FlagValue>();
        for (var i = 0; i < flags.Length; i += 2)
        {
            values.Add(new FlagValue(flags[i], flags[i + 1], "--" + flags[i]));
        }

        return ClusterSpecLoader.Load(new ConfigInputs { Flags = values, WorkingDirectory = Path.GetTempPath() });
    }

    private ClusterLauncher Launcher(Cidr? operatorAddress = null) =>
        new(cloud, userData, new FixedAddress(operatorAddress), new ClusterFolders(home), new ManualClock(Now));

    [Fact]
    public void Security_groups_open_the_kubernetes_and_flannel_ports_between_roles_and_the_api_and_ssh_only_to_admins()
    {
        var admin = Cidr.Parse("203.0.113.7/32");
        var groups = ClusterPlan.SecurityGroups("demo", [admin]).ToDictionary(g => g.Role);
        static string Source(PlannedRule r) => r.SourceGroup?.Name() ?? r.SourceCidr!.ToString();
        var master = groups[NodeRole.Master].Rules.Select(r => $"{r.Protocol} {r.FromPort}-{r.ToPort} {Source(r)}").Order(StringComparer.Ordinal);
        var worker = groups[NodeRole.Worker].Rules.Select(r => $"{r.Protocol} {r.FromPort}-{r.ToPort} {Source(r)}").Order(StringComparer.Ordinal);

        Assert.Equal(
            new[]
            {
                "tcp 10250-10250 master", "tcp 10257-10257 master", "tcp 10259-10259 master", "tcp 22-22 203.0.113.7/32", "tcp 2379-2380 master",
                "tcp 6443-6443 203.0.113.7/32", "tcp 6443-6443 master", "tcp 6443-6443 worker", "udp 8472-8472 master", "udp 8472-8472 worker",
            },
            master);
        Assert.Equal(
            new[]
            {
                "tcp 10250-10250 master", "tcp 10250-10250 worker", "tcp 10256-10256 master", "tcp 10256-10256 worker", "tcp 22-22 203.0.113.7/32",
                "tcp 30000-32767 master", "tcp 30000-32767 worker", "udp 8472-8472 master", "udp 8472-8472 worker",
            },
            worker);
        Assert.Equal(["nodeimager-demo-master", "nodeimager-demo-worker"], groups.Values.Select(g => g.Name));
    }

    [Fact]
    public async Task The_plan_tags_everything_with_cluster_creator_expiry_and_the_users_tags()
    {
        var plan = await Launcher().PlanAsync(Spec("name", "demo", "ttl", "2h", "tags:team", "platform", "adminCidrs", "198.51.100.0/24"), new UpOptions(), default);

        Assert.Equal("demo", plan.Tags[ClusterNaming.ClusterTag]);
        Assert.Equal("arn:aws:iam::123456789012:user/alice", plan.Tags[ClusterNaming.CreatorTag]);
        Assert.Equal("2026-11-25T14:00:00Z", plan.Tags[ClusterNaming.ExpiresAtTag]);
        Assert.Equal("platform", plan.Tags["team"]);
        Assert.Equal("worker", plan.TagsFor(NodeRole.Worker)[ClusterNaming.RoleTag]);
        Assert.Equal([Cidr.Parse("198.51.100.0/24")], plan.AdminCidrs);
        Assert.Empty(cloud.Mutations);
    }

    [Fact]
    public async Task Without_admin_networks_the_operators_own_address_is_used_and_without_one_up_asks_for_admin_cidr()
    {
        var plan = await Launcher(Cidr.Parse("192.0.2.10/32")).PlanAsync(Spec("name", "demo"), new UpOptions(), default);
        Assert.Equal([Cidr.Parse("192.0.2.10/32")], plan.AdminCidrs);
        Assert.DoesNotContain(plan.Groups.SelectMany(g => g.Rules), r => r.SourceCidr?.PrefixLength == 0);

        var e = await Assert.ThrowsAsync<NodeImagerException>(() => Launcher(null).PlanAsync(Spec("name", "demo"), new UpOptions(), default));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.Contains("--admin-cidr", e.Hint);
    }

    [Fact]
    public async Task A_pod_network_inside_the_VPC_is_refused_before_anything_is_created()
    {
        cloud.Network = cloud.Network with { VpcCidrs = [Cidr.Parse("10.0.0.0/8")] };
        var e = await Assert.ThrowsAsync<NodeImagerException>(() => Launcher().PlanAsync(Spec("name", "demo", "adminCidrs", "198.51.100.0/24"), new UpOptions(), default));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.Contains("10.244.0.0/16", e.Message);
        Assert.Empty(cloud.Mutations);
    }

    [Fact]
    public async Task An_existing_cluster_or_its_leftovers_are_refused()
    {
        cloud.Instances.Add(new CloudInstance("i-1", "demo", NodeRole.Master, "running", null, null, null, null));
        var running = await Assert.ThrowsAsync<NodeImagerException>(() => Launcher().PlanAsync(Spec("name", "demo", "adminCidrs", "198.51.100.0/24"), new UpOptions(), default));
        Assert.Contains("already exists", running.Message);
        Assert.Contains("nodeimager down demo", running.Hint);

        cloud.Instances.Clear();
        cloud.Keys.Add(("nodeimager-demo", "demo"));
        var leftovers = await Assert.ThrowsAsync<NodeImagerException>(() => Launcher().PlanAsync(Spec("name", "demo", "adminCidrs", "198.51.100.0/24"), new UpOptions(), default));
        Assert.Contains("key pair nodeimager-demo", leftovers.Message);
        Assert.Empty(cloud.Mutations);
    }

    [Fact]
    public async Task A_recipe_without_a_baked_image_names_the_bake_command()
    {
        var e = await Assert.ThrowsAsync<NodeImagerException>(() => Launcher().PlanAsync(Spec("name", "demo", "image", "fast-1-37", "adminCidrs", "198.51.100.0/24"), new UpOptions(), default));
        Assert.Contains("nodeimager bake fast-1-37", e.Hint);

        cloud.RecipeImage = new CloudImage("ami-golden", "golden", "recipe");
        var plan = await Launcher().PlanAsync(Spec("name", "demo", "image", "fast-1-37", "adminCidrs", "198.51.100.0/24"), new UpOptions(), default);
        Assert.Equal("ami-golden", plan.Image.ImageId);
    }

    [Fact]
    public async Task Launch_makes_one_call_per_role_with_the_whole_count_and_both_roles_are_in_flight_together()
    {
        var plan = await Launcher().PlanAsync(Spec("name", "demo", "workers", "50", "adminCidrs", "198.51.100.0/24"), new UpOptions(), default);
        var bothStarted = new TaskCompletionSource();
        var inFlight = 0;
        cloud.OnLaunch = async (_, ct) =>
        {
            if (Interlocked.Increment(ref inFlight) == 2)
            {
                bothStarted.SetResult();
            }

            await bothStarted.Task.WaitAsync(TimeSpan.FromSeconds(5), ct);
        };

        var launched = await Launcher().LaunchAsync(plan, new LaunchProgress(), _ => { }, default);

        Assert.Equal(["Launch master 1", "Launch worker 50"], cloud.Calls.Where(c => c.StartsWith("Launch", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(50, launched.InstanceIds[NodeRole.Worker].Count);
        Assert.All(cloud.Launches, l => Assert.Equal(1, l.MetadataHopLimit));
        Assert.Equal(plan.ExpiresAt, userData.ExpiresAt);
        var key = Path.Combine(home, "clusters", "demo", "id_ed25519");
        Assert.True(File.Exists(key));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }

        // Everything exists before the instances that use it.
        var order = cloud.Calls;
        Assert.True(order.FindIndex(c => c.StartsWith("CreateKeyPair", StringComparison.Ordinal)) < order.FindIndex(c => c.StartsWith("Launch", StringComparison.Ordinal)));
        Assert.True(order.FindLastIndex(c => c.StartsWith("AuthorizeIngress", StringComparison.Ordinal)) < order.FindIndex(c => c.StartsWith("Launch", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_failed_launch_waits_for_the_other_role_and_progress_says_what_exists()
    {
        var plan = await Launcher().PlanAsync(Spec("name", "demo", "workers", "3", "adminCidrs", "198.51.100.0/24"), new UpOptions(), default);
        cloud.OnLaunch = async (request, _) =>
        {
            if (request.Role == NodeRole.Worker)
            {
                throw new NodeImagerException("no capacity");
            }

            await Task.Delay(100);
        };
        var progress = new LaunchProgress();

        var e = await Assert.ThrowsAsync<NodeImagerException>(() => Launcher().LaunchAsync(plan, progress, _ => { }, default));
        Assert.Equal("no capacity", e.Message);
        Assert.Contains("1 master instance(s)", progress.Created);
        Assert.Contains("key pair nodeimager-demo", progress.Created);
    }

    [Fact]
    public async Task Cancelled_before_launch_starts_nothing()
    {
        var plan = await Launcher().PlanAsync(Spec("name", "demo", "adminCidrs", "198.51.100.0/24"), new UpOptions(), default);
        using var cancellation = new CancellationTokenSource();
        var progress = new LaunchProgress();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Launcher().LaunchAsync(plan, progress, line =>
        {
            if (line.StartsWith("Key pair", StringComparison.Ordinal))
            {
                cancellation.Cancel();
            }
        }, cancellation.Token));
        Assert.DoesNotContain(cloud.Calls, c => c.StartsWith("Launch", StringComparison.Ordinal));
        Assert.Equal(["key pair nodeimager-demo"], progress.Created);
    }
}
