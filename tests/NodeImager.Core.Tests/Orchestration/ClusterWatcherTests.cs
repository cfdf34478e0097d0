using NodeImager.Core.Model;
using NodeImager.Core.Orchestration;

namespace NodeImager.Core.Tests.Orchestration;

public sealed class ClusterWatcherTests
{
    private readonly FakeCloud cloud = new();

    private Dictionary<NodeRole, IReadOnlyList<string>> Nodes()
    {
        cloud.Instances.Add(new CloudInstance("i-m", "demo", NodeRole.Master, "running", null, null, null, null));
        cloud.Instances.Add(new CloudInstance("i-w", "demo", NodeRole.Worker, "running", null, null, null, null));
        return new() { [NodeRole.Master] = ["i-m"], [NodeRole.Worker] = ["i-w"] };
    }

    private static NodeStatusReport Report(string id, string phase, string step = "s", string? log = null) =>
        new(id, "worker", phase, step, "1.37.2", DateTimeOffset.UtcNow, "msg", log);

    [Fact]
    public async Task Waiting_ends_when_every_node_is_ready_and_polls_once_per_round()
    {
        var nodes = Nodes();
        cloud.Reports.Add(Report("i-m", "ready"));
        var rounds = 0;
        var snapshot = await new ClusterWatcher(cloud, TimeProvider.System).WaitAsync("demo", nodes, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(5), s =>
        {
            if (++rounds == 3)
            {
                cloud.Reports.Add(Report("i-w", "ready"));
            }
        }, default);

        Assert.True(snapshot.AllReady);
        Assert.Equal(4, rounds);
        Assert.Equal(rounds, cloud.Calls.Count(c => c == "ReadNodeStatus"));
        Assert.Equal(rounds, cloud.Calls.Count(c => c == "FindInstances"));
    }

    [Fact]
    public async Task A_failed_node_ends_the_wait_at_once_with_its_step_and_log_tail()
    {
        var nodes = Nodes();
        cloud.Reports.Add(Report("i-w", "failed", "kubeadm-join", "last line"));
        var e = await Assert.ThrowsAsync<NodeImagerException>(() =>
            new ClusterWatcher(cloud, TimeProvider.System).WaitAsync("demo", nodes, TimeSpan.FromMinutes(20), TimeSpan.FromSeconds(30), _ => { }, default));
        Assert.Contains("i-w failed at step 'kubeadm-join'", e.Message);
        Assert.Contains("last line", e.Message);
        Assert.Contains("nodeimager down demo", e.Hint);
    }

    [Fact]
    public async Task The_timeout_names_the_nodes_still_waiting_and_the_way_out()
    {
        var nodes = Nodes();
        cloud.Reports.Add(Report("i-m", "ready"));
        cloud.Reports.Add(Report("i-w", "joining", "wait-for-join"));
        var e = await Assert.ThrowsAsync<NodeImagerException>(() =>
            new ClusterWatcher(cloud, TimeProvider.System).WaitAsync("demo", nodes, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(10), _ => { }, default));
        Assert.Contains("i-w (joining/wait-for-join)", e.Message);
        Assert.DoesNotContain("i-m", e.Message);
        Assert.Contains("nodeimager down demo", e.Hint);
    }

    [Fact]
    public async Task A_node_that_vanished_before_ready_fails_the_wait()
    {
        var nodes = Nodes();
        cloud.Instances[1] = cloud.Instances[1] with { State = "terminated" };
        var e = await Assert.ThrowsAsync<NodeImagerException>(() =>
            new ClusterWatcher(cloud, TimeProvider.System).WaitAsync("demo", nodes, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(10), _ => { }, default));
        Assert.Contains("i-w is terminated", e.Message);
    }
}
