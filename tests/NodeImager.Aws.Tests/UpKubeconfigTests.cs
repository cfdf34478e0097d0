using Microsoft.Extensions.DependencyInjection;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Model;
using NodeImager.Core.Remote;
using NodeImager.Core.Tests.Remote;

namespace NodeImager.Aws.Tests;

/// <summary>
/// `up` hands back a kubeconfig: against the emulator, with the master mapped to a real OpenSSH server on loopback
/// (moto's made-up addresses are never dialled). The server accepts the key pair `up` itself created and saved.
/// </summary>
[Collection(EmulatorCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class UpKubeconfigTests(Emulator emulator) : IDisposable
{
    private readonly CliRun cli = new(emulator);

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task A_ready_cluster_ends_with_its_kubeconfig_fetched_from_the_master_and_written_0600()
    {
        var environment = cli.DefaultEnvironment();
        var kubeDir = Path.Combine(cli.Home, "kube");
        environment["KUBECONFIG"] = Path.Combine(kubeDir, "config");
        TestSshd? sshd = null;
        var directory = new LoopbackDirectory();
        var up = cli.RunAsync(environment, s => s.AddSingleton<INodeDirectory>(directory), CancellationToken.None,
            "up", "--name", "kappa", "--workers", "1", "--admin-cidr", "203.0.113.7/32", "--ami", await cli.SomeImageAsync(),
            "--poll-interval", "0.1", "--timeout", "2m", "--ssh-user", "root", "--merge-kubeconfig");
        try
        {
            var ids = await cli.WaitForInstancesAsync("kappa", 2);

            // The key `up` saved is the one the node would accept: authorise exactly that key on the loopback server.
            var key = Directory.GetFiles(Path.Combine(cli.Home, "clusters", "kappa"), "id_*").Single();
            await File.WriteAllTextAsync(key + ".pub", await TestSshd.Tool("ssh-keygen", "-y", "-f", key));
            sshd = await TestSshd.StartAsync(new TestSshd.Options(AuthorizedKeyFrom: key, NodeFiles: true));
            sshd.WriteNodeFile("/etc/kubernetes/admin.conf", KubeadmAdminConf.Text);
            var master = ids.Single(i => i.Role == "master").Id;
            directory.Nodes = [new NodeAddress(master, NodeRole.Master, "127.0.0.1", "10.0.1.5", sshd.Port)];

            foreach (var (id, role) in ids)
            {
                await cli.PutStatusAsync("kappa", id, role, "ready", "done");
            }

            var result = await up.WaitAsync(TimeSpan.FromSeconds(90));

            Assert.True(result.ExitCode == 0, result.ToString());
            var kubeconfig = Path.Combine(cli.Home, "clusters", "kappa", "kubeconfig");
            Assert.Contains($"Kubeconfig: {kubeconfig}", result.Output);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kubeconfig));
            var text = await File.ReadAllTextAsync(kubeconfig);
            Assert.Contains("server: https://127.0.0.1:6443", text);
            Assert.DoesNotContain("10.0.1.5", text);
            Assert.Contains("current-context: kappa", text);
            Assert.Contains("context: kappa", await File.ReadAllTextAsync(environment["KUBECONFIG"]));
            Assert.True(File.Exists(Path.Combine(cli.Home, "clusters", "kappa", "known_hosts")), "the master's host key is recorded on first use");
        }
        finally
        {
            if (sshd is not null)
            {
                await sshd.DisposeAsync();
            }

            await cli.RunAsync("down", "kappa");
        }
    }

    [Fact]
    public async Task A_kubeconfig_that_cannot_be_fetched_fails_with_the_reason_and_the_down_command()
    {
        // A master whose SSH port is closed: the cluster is ready but the hand-back fails clearly (exit 1).
        var directory = new LoopbackDirectory();
        var up = cli.RunAsync(cli.DefaultEnvironment(), s => s.AddSingleton<INodeDirectory>(directory), CancellationToken.None,
            "up", "--name", "iota", "--workers", "0", "--admin-cidr", "203.0.113.7/32", "--ami", await cli.SomeImageAsync(),
            "--poll-interval", "0.1", "--timeout", "2m");
        try
        {
            var ids = await cli.WaitForInstancesAsync("iota", 1);
            directory.Nodes = [new NodeAddress(ids[0].Id, NodeRole.Master, "127.0.0.1", "10.0.1.6", TestSshd.FreePort())];
            await cli.PutStatusAsync("iota", ids[0].Id, "master", "ready", "done");

            var result = await up.WaitAsync(TimeSpan.FromSeconds(90));

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("is ready, but its kubeconfig could not be fetched", result.Output);
            Assert.Contains("nodeimager down iota", result.Output);
            Assert.DoesNotContain("This is a bug", result.Output);
        }
        finally
        {
            await cli.RunAsync("down", "iota");
        }
    }

    private sealed class LoopbackDirectory : INodeDirectory
    {
        public IReadOnlyList<NodeAddress> Nodes { get; set; } = [];

        public Task<IReadOnlyList<NodeAddress>> FindAsync(string cluster, CancellationToken cancellationToken) => Task.FromResult(Nodes);
    }
}
