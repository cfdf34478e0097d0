using NodeImager.Cli.Commands;
using NodeImager.Core.Model;
using NodeImager.Core.Orchestration;

namespace NodeImager.Tests.Commands;

/// <summary>up's progress where the terminal cannot redraw (a CI log, a pipe): a line per change, not a table per poll.</summary>
public sealed class UpProgressTests
{
    private static NodeProgress Node(string id, string phase, string step, int seconds, NodeRole role = NodeRole.Worker) =>
        new(id, role, "running", phase, step, TimeSpan.FromSeconds(seconds), null);

    [Fact]
    public void Only_nodes_whose_phase_or_step_moved_get_a_line()
    {
        var lines = new UpCommand.ProgressLines();

        var first = lines.Next([Node("i-m", "booting", "", 0, NodeRole.Master), Node("i-w", "booting", "", 0)]).ToList();
        var unchanged = lines.Next([Node("i-m", "booting", "", 5, NodeRole.Master), Node("i-w", "booting", "", 5)]).ToList();
        var moved = lines.Next([Node("i-m", "installing", "apt-packages", 70, NodeRole.Master), Node("i-w", "booting", "", 70)]).ToList();

        Assert.Equal(["  0m00s  master i-m: running, booting", "  0m00s  worker i-w: running, booting"], first);
        Assert.Empty(unchanged);
        Assert.Equal(["  1m10s  master i-m: running, installing (apt-packages)"], moved);
    }
}
