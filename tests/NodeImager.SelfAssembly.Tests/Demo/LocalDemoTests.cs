using NodeImager.Aws.Tests.Support;
using Spectre.Console.Testing;

namespace NodeImager.SelfAssembly.Tests.Demo;

/// <summary>
/// Keeps the README's demo true, and is the end-to-end proof of the issue: the real `up --workers 3` against the
/// emulator returns 0 once the simulated nodes assembled themselves, every worker joined with the master's token and
/// CA hash, the kubeconfig came back over SSH (a real sshd chrooted into the simulated master) and is 0600, and
/// `down` leaves nothing the real aws CLI can find. Needs root.
/// </summary>
[Collection(SelfAssemblyCollection.Name)]
[Trait("Requires", "root")]
public sealed class LocalDemoTests(Emulator emulator) : IDisposable
{
    private readonly string home = Directory.CreateTempSubdirectory("nodeimager-demo-").FullName;

    public void Dispose() => Directory.Delete(home, recursive: true);

    [Fact]
    public async Task The_demo_brings_up_three_simulated_workers_hands_back_the_kubeconfig_and_leaves_nothing()
    {
        await emulator.ResetAsync();
        var console = new TestConsole();
        console.Profile.Width = 200;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));

        var outcome = await new LocalDemo(console, emulator, new DemoOptions(home, Pace: 0)).RunAsync(timeout.Token);

        var output = console.Output;
        Assert.True(outcome.Succeeded, $"{outcome}\n{output}");
        Assert.Contains("SIMULATED", output, StringComparison.Ordinal);
        Assert.Equal(3, outcome.Joined);

        // The kubeconfig is kubeadm's admin.conf as the simulated master's kubeadm wrote it, fetched over SSH.
        Assert.NotNull(outcome.Kubeconfig);
        var (kubeconfig, mode) = outcome.Kubeconfig.Value;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        Assert.Contains("current-context: demo", kubeconfig, StringComparison.Ordinal);
        Assert.Contains("client-key-data:", kubeconfig, StringComparison.Ordinal);
        Assert.Contains("context: demo", await File.ReadAllTextAsync(Path.Combine(home, ".kube", "config")), StringComparison.Ordinal);

        // `logs` fetched the worker's cloud-init output over SSH from the worker's own root.
        var logs = Directory.GetFiles(Path.Combine(home, "logs"));
        Assert.Contains(logs, f => f.EndsWith("cloud-init-output.log", StringComparison.Ordinal) && new FileInfo(f).Length > 0);
        Assert.Contains("Nothing is left", output, StringComparison.Ordinal);
        Assert.Empty(outcome.Leftovers);
    }
}
