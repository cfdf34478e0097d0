using NodeImager.Core.Model;
using NodeImager.Core.Orchestration;

namespace NodeImager.Core.Tests.Orchestration;

public sealed class ClusterTeardownTests : IDisposable
{
    private readonly string home = Directory.CreateTempSubdirectory("nodeimager-teardown-").FullName;
    private readonly FakeCloud cloud = new();

    public void Dispose() => Directory.Delete(home, recursive: true);

    private ClusterTeardown Teardown() => new(cloud, new ClusterFolders(home), TimeProvider.System) { PollInterval = TimeSpan.FromMilliseconds(5), GroupDeleteTimeout = TimeSpan.FromSeconds(2) };

    private void ArrangeCluster(string name)
    {
        cloud.Instances.Add(new CloudInstance($"i-{name}", name, NodeRole.Master, "running", null, null, null, null));
        cloud.Groups.Add(($"sg-{name}-m", $"nodeimager-{name}-master", name));
        cloud.Groups.Add(($"sg-{name}-w", $"nodeimager-{name}-worker", name));
        cloud.Rules[$"sg-{name}-m"] = [new IngressRule("udp", 8472, 8472, $"sg-{name}-w", null, "flannel")];
        cloud.Rules[$"sg-{name}-w"] = [new IngressRule("udp", 8472, 8472, $"sg-{name}-m", null, "flannel")];
        cloud.Keys.Add(($"nodeimager-{name}", name));
        cloud.Parameters.AddRange([$"/nodeimager/{name}/join", $"/nodeimager/{name}/status/i-{name}"]);
        cloud.Roles.AddRange([$"nodeimager-{name}-master", $"nodeimager-{name}-worker"]);
        Directory.CreateDirectory(Path.Combine(home, "clusters", name));
    }

    [Fact]
    public async Task Down_removes_in_dependency_order_and_leaves_other_clusters_alone()
    {
        ArrangeCluster("demo");
        ArrangeCluster("other");

        var result = await Teardown().DownAsync("demo", _ => { }, default);

        Assert.True(result.Leftovers.IsEmpty);
        Assert.False(result.NothingWasThere);
        Assert.False(Directory.Exists(Path.Combine(home, "clusters", "demo")));
        var calls = cloud.Calls;
        Assert.True(calls.IndexOf("Terminate 1") < calls.IndexOf("RevokeAllIngress sg-demo-m"));
        Assert.True(calls.IndexOf("RevokeAllIngress sg-demo-w") < calls.IndexOf("DeleteSecurityGroup sg-demo-m"));
        Assert.Equal(2, cloud.Groups.Count);
        Assert.All(cloud.Groups, g => Assert.Equal("other", g.Cluster));
        Assert.Single(cloud.Keys);
        Assert.Equal(2, cloud.Parameters.Count);
        Assert.Equal(2, cloud.Roles.Count);
        Assert.Equal("running", cloud.Instances.Single(i => i.Cluster == "other").State);
    }

    [Fact]
    public async Task DependencyViolation_is_retried_with_backoff_until_the_group_can_go()
    {
        ArrangeCluster("demo");
        cloud.DependencyViolations = 3;

        var result = await Teardown().DownAsync("demo", _ => { }, default);

        Assert.True(result.Leftovers.IsEmpty);
        Assert.Equal(3 + 2, cloud.Calls.Count(c => c.StartsWith("DeleteSecurityGroup", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_second_down_finds_nothing()
    {
        ArrangeCluster("demo");
        await Teardown().DownAsync("demo", _ => { }, default);
        cloud.Calls.Clear();

        var again = await Teardown().DownAsync("demo", _ => { }, default);

        Assert.True(again.NothingWasThere);
        Assert.True(again.Leftovers.IsEmpty);
        Assert.Empty(cloud.Mutations);
    }

    [Fact]
    public async Task Reap_picks_only_clusters_whose_expiry_has_passed()
    {
        var now = DateTimeOffset.UtcNow;
        cloud.Instances.Add(new CloudInstance("i-1", "old", NodeRole.Master, "running", null, null, null, now.AddMinutes(-1)));
        cloud.Instances.Add(new CloudInstance("i-2", "young", NodeRole.Master, "running", null, null, null, now.AddHours(1)));
        cloud.Instances.Add(new CloudInstance("i-3", "forever", NodeRole.Master, "running", null, null, null, null));

        var expired = await Teardown().FindExpiredAsync(default);

        Assert.Equal(["old"], expired.Select(c => c.Cluster));
    }
}
