using NodeImager.Aws.Tests.Support;
using NodeImager.SelfAssembly.Tests.Simulation;
using static NodeImager.SelfAssembly.Tests.Rendered.RenderedClusterLaunch;

namespace NodeImager.SelfAssembly.Tests.Rendered;

/// <summary>
/// End to end: the real `nodeimager up` (in-process, against the emulator) launches the cluster and follows it; the
/// simulator boots what `up` launched; `up` returns once the nodes it follows report ready. Needs root.
/// </summary>
[Collection(SelfAssemblyCollection.Name)]
[Trait("Requires", "root")]
public sealed class UpTests(Emulator emulator)
{
    [Fact]
    public async Task Up_returns_once_the_nodes_it_launched_have_assembled_themselves()
    {
        await emulator.ResetAsync();
        using var cli = new CliRun(emulator);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var up = Task.Run(() => cli.UpAsync("e2e", "--workers", "2", "--no-kubeconfig"), timeout.Token);

        // Boot whatever `up` launched, as EC2 would, the moment it exists.
        await cli.WaitForInstancesAsync("e2e", 3);
        await using var sim = await SimulatedCluster.AttachAsync(emulator, "e2e", SimulationSettings.For(Spec("e2e", workers: 2)));
        Assert.Equal(3, sim.Nodes.Count);
        sim.BootAll();

        var result = await up.WaitAsync(timeout.Token);
        Assert.True(result.ExitCode == 0, result + "\n" + string.Join("\n", sim.Nodes.Select(Evidence)));

        // It returned because every node it launched reported ready (not before).
        var statuses = await StatusesAsync(emulator, "e2e");
        Assert.Equal(sim.Nodes.Select(n => n.InstanceId).Order(), statuses.Keys.Order());
        Assert.All(statuses.Values, s => Assert.Equal("ready", s.GetProperty("phase").GetString()));
        await sim.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(sim.Nodes, n => Assert.Equal(0, n.Finished.Result));
        Assert.Equal(2, sim.Joins.Count);
        var status = await cli.RunAsync("status", "e2e");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("ready", status.Output, StringComparison.Ordinal);
    }
}
