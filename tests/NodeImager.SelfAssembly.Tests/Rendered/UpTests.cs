using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Model;
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
        Assert.DoesNotMatch(TokenPattern(), result.Output + status.Output);
    }

    [Fact]
    public async Task Up_stops_within_seconds_when_the_master_fails_in_kubeadm_init_and_shows_the_step_and_log_tail()
    {
        await emulator.ResetAsync();
        using var cli = new CliRun(emulator);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var started = DateTimeOffset.UtcNow;
        var up = Task.Run(() => cli.UpAsync("e2e-broken", "--workers", "1", "--no-kubeconfig", "--timeout", "30m"), timeout.Token);

        await cli.WaitForInstancesAsync("e2e-broken", 2);
        var settings = SimulationSettings.For(Spec("e2e-broken", workers: 1)) with { Failures = new Dictionary<NodeRole, string> { [NodeRole.Master] = "kubeadm-init" } };
        await using var sim = await SimulatedCluster.AttachAsync(emulator, "e2e-broken", settings);
        sim.BootAll();

        var result = await up.WaitAsync(timeout.Token);

        // Not the 30-minute timeout: up stops as soon as the master reports the failure.
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(120), $"up took {DateTimeOffset.UtcNow - started}");
        Assert.Contains("kubeadm-init", result.Output, StringComparison.Ordinal);
        Assert.Contains("could not initialize a Kubernetes cluster", result.Output, StringComparison.Ordinal);
        Assert.Contains("nodeimager down e2e-broken", result.Output, StringComparison.Ordinal);
        Assert.DoesNotMatch(TokenPattern(), result.Output);
        Assert.DoesNotContain("This is a bug", result.Output, StringComparison.Ordinal);
    }
}
