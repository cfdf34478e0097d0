using NodeImager.Core.Model;
using NodeImager.Core.Remote;

namespace NodeImager.Core.Tests.Remote;

public sealed class NodeSelectorTests
{
    private static readonly NodeAddress Master = new("i-0master", NodeRole.Master, "203.0.113.1", "10.0.1.5");
    private static readonly NodeAddress Worker1 = new("i-0worker1", NodeRole.Worker, null, "10.0.1.6");
    private static readonly NodeAddress Worker2 = new("i-0worker2", NodeRole.Worker, "203.0.113.3", "10.0.1.7", 2222);
    private static readonly NodeAddress[] Nodes = [Worker1, Master, Worker2];

    [Theory]
    [InlineData(null, "i-0master")]
    [InlineData("master", "i-0master")]
    [InlineData("master-1", "i-0master")]
    [InlineData("worker-1", "i-0worker1")]
    [InlineData("worker-2", "i-0worker2")]
    [InlineData("i-0worker2", "i-0worker2")]
    public void Picks_a_node_by_role_index_or_instance_id(string? choice, string instanceId) =>
        Assert.Equal(instanceId, NodeSelector.Select("demo", Nodes, choice).InstanceId);

    [Theory]
    [InlineData("worker-3")]
    [InlineData("worker-0")]
    [InlineData("i-nope")]
    [InlineData("builder")]
    public void An_unknown_node_lists_the_choices(string choice)
    {
        var error = Assert.Throws<NodeImagerException>(() => NodeSelector.Select("demo", Nodes, choice));
        Assert.Equal(ExitCodes.BadInput, error.ExitCode);
        Assert.Contains("worker-1..worker-2", error.Hint, StringComparison.Ordinal);
        Assert.Contains("i-0worker1", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void No_nodes_means_no_such_cluster()
    {
        var error = Assert.Throws<NodeImagerException>(() => NodeSelector.Select("demo", [], null));
        Assert.Contains("no running nodes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prefers_the_public_address()
    {
        Assert.Equal("203.0.113.1", Master.Reachable);
        Assert.Equal("10.0.1.6", Worker1.Reachable);
    }
}
