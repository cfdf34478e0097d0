using System.Net;
using System.Net.Sockets;
using System.Text;
using NodeImager.Core.Remote;

namespace NodeImager.Core.Tests.Remote;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NodeShellTests : IAsyncLifetime
{
    private readonly string home = Directory.CreateTempSubdirectory("nodeimager-home-").FullName;
    private TestSshd server = null!;

    public async Task InitializeAsync() => server = await TestSshd.StartAsync(new TestSshd.Options(NodeFiles: true));

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(home, recursive: true);
    }

    private string KnownHostsPath => Path.Combine(home, "known_hosts");

    private NodeEndpoint Endpoint(TestSshd sshd, string? key = null) =>
        new(TestSshd.Host, sshd.Port, Environment.UserName, key ?? sshd.ClientKey, KnownHostsPath) { ConnectTimeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task Runs_a_command_and_returns_its_output_error_and_exit_code()
    {
        using var shell = await NodeShell.ConnectAsync(Endpoint(server), CancellationToken.None);

        var result = await shell.RunAsync("echo out; echo err >&2; exit 7", CancellationToken.None);

        Assert.Equal(7, result.ExitCode);
        Assert.Equal("out\n", result.Text);
        Assert.Equal("err\n", result.Error);
    }

    [Fact]
    public async Task Feeds_stdin_and_streams_output()
    {
        using var shell = await NodeShell.ConnectAsync(Endpoint(server), CancellationToken.None);
        using var input = new MemoryStream(Encoding.UTF8.GetBytes("echo from-stdin\nexit 4\n"));
        using var output = new MemoryStream();
        using var error = new MemoryStream();

        var exitCode = await shell.RunAsync("sh -s", input, output, error, CancellationToken.None);

        Assert.Equal(4, exitCode);
        Assert.Equal("from-stdin\n", Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task Reads_a_privileged_file_with_cat_when_the_user_is_root()
    {
        server.WriteNodeFile("/etc/kubernetes/admin.conf", "secret: yes\n");
        using var shell = await NodeShell.ConnectAsync(Endpoint(server), CancellationToken.None);

        Assert.True(await shell.IsRootAsync(CancellationToken.None));
        var bytes = await shell.ReadPrivilegedFileAsync("/etc/kubernetes/admin.conf", CancellationToken.None);

        Assert.Equal("secret: yes\n", Encoding.UTF8.GetString(bytes!));
        Assert.Null(await shell.ReadPrivilegedFileAsync("/etc/kubernetes/missing.conf", CancellationToken.None));
    }

    [Fact]
    public async Task Reads_a_privileged_file_with_sudo_n_when_the_user_is_not_root()
    {
        await using var user = await TestSshd.StartAsync(new TestSshd.Options(NodeFiles: true, ActAsUser: true));
        user.WriteNodeFile("/etc/kubernetes/admin.conf", "via sudo\n");
        using var shell = await NodeShell.ConnectAsync(Endpoint(user), CancellationToken.None);

        Assert.False(await shell.IsRootAsync(CancellationToken.None));
        var bytes = await shell.ReadPrivilegedFileAsync("/etc/kubernetes/admin.conf", CancellationToken.None);

        Assert.Equal("via sudo\n", Encoding.UTF8.GetString(bytes!));
        Assert.Equal("sudo -n cat -- /etc/kubernetes/admin.conf\n", await File.ReadAllTextAsync(user.SudoLog));
    }

    [Fact]
    public async Task A_user_without_passwordless_sudo_gets_a_clear_error()
    {
        await using var user = await TestSshd.StartAsync(new TestSshd.Options(NodeFiles: true, ActAsUser: true, SudoNeedsPassword: true));
        user.WriteNodeFile("/etc/kubernetes/admin.conf", "secret\n");
        using var shell = await NodeShell.ConnectAsync(Endpoint(user), CancellationToken.None);

        var error = await Assert.ThrowsAsync<NodeImagerException>(() => shell.ReadPrivilegedFileAsync("/etc/kubernetes/admin.conf", CancellationToken.None));

        Assert.Contains("Could not read /etc/kubernetes/admin.conf", error.Message, StringComparison.Ordinal);
        Assert.Contains("sudo: a password is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("password-less sudo", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task First_contact_records_the_host_key_in_openssh_format()
    {
        using (await NodeShell.ConnectAsync(Endpoint(server), CancellationToken.None))
        {
        }

        var hostKey = server.HostKeyPublic.Split(' ');
        Assert.Equal($"[127.0.0.1]:{server.Port} {hostKey[0]} {hostKey[1]}\n", await File.ReadAllTextAsync(KnownHostsPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KnownHostsPath));

        // OpenSSH itself accepts the file with strict checking: `nodeimager ssh` can hand it to the ssh client.
        var output = await TestSshd.Tool("ssh", "-i", server.ClientKey, "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", $"UserKnownHostsFile={KnownHostsPath}", "-o", "GlobalKnownHostsFile=/dev/null",
            $"{Environment.UserName}@127.0.0.1", "echo", "openssh-ok");
        Assert.Equal("openssh-ok\n", output);

        // A second connection trusts the recorded key and adds nothing.
        using (await NodeShell.ConnectAsync(Endpoint(server), CancellationToken.None))
        {
        }

        Assert.Single(await File.ReadAllLinesAsync(KnownHostsPath));
    }

    [Fact]
    public async Task A_changed_host_key_is_refused_with_a_clear_error()
    {
        using (await NodeShell.ConnectAsync(Endpoint(server), CancellationToken.None))
        {
        }

        var recorded = await File.ReadAllTextAsync(KnownHostsPath);
        server = await server.ReplaceWithNewHostKeyAsync();

        var error = await Assert.ThrowsAsync<NodeImagerException>(() => NodeShell.ConnectAsync(Endpoint(server, server.ClientKey), CancellationToken.None));

        Assert.Contains($"host key of [127.0.0.1]:{server.Port} has changed", error.Message, StringComparison.Ordinal);
        Assert.Contains("man-in-the-middle", error.Message, StringComparison.Ordinal);
        Assert.Contains($"ssh-keygen -R '[127.0.0.1]:{server.Port}' -f {KnownHostsPath}", error.Hint, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failure, error.ExitCode);
        Assert.Equal(recorded, await File.ReadAllTextAsync(KnownHostsPath));

        // After the reset the hint describes, the new key is trusted.
        await TestSshd.Tool("ssh-keygen", "-R", $"[127.0.0.1]:{server.Port}", "-f", KnownHostsPath);
        using var shell = await NodeShell.ConnectAsync(Endpoint(server, server.ClientKey), CancellationToken.None);
        Assert.Equal(0, (await shell.RunAsync("true", CancellationToken.None)).ExitCode);
    }

    [Fact]
    public async Task Hashed_known_hosts_entries_are_understood()
    {
        using (await NodeShell.ConnectAsync(Endpoint(server), CancellationToken.None))
        {
        }

        await TestSshd.Tool("ssh-keygen", "-H", "-f", KnownHostsPath);
        Assert.StartsWith("|1|", await File.ReadAllTextAsync(KnownHostsPath), StringComparison.Ordinal);

        server = await server.ReplaceWithNewHostKeyAsync();
        var error = await Assert.ThrowsAsync<NodeImagerException>(() => NodeShell.ConnectAsync(Endpoint(server), CancellationToken.None));
        Assert.Contains("has changed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sessions_opened_at_once_record_the_host_key_once()
    {
        var shells = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => NodeShell.ConnectAsync(Endpoint(server), CancellationToken.None)));
        foreach (var shell in shells)
        {
            shell.Dispose();
        }

        Assert.Single(await File.ReadAllLinesAsync(KnownHostsPath));
    }

    [Fact]
    public async Task Cancelling_stops_a_running_command()
    {
        using var shell = await NodeShell.ConnectAsync(Endpoint(server), CancellationToken.None);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var started = DateTime.UtcNow;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => shell.RunAsync("sleep 30", cancel.Token));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_wrong_key_is_reported_as_an_authentication_failure()
    {
        var otherKey = Path.Combine(home, "other_key");
        await TestSshd.Tool("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", otherKey);

        var error = await Assert.ThrowsAsync<NodeImagerException>(() => NodeShell.ConnectAsync(Endpoint(server, otherKey), CancellationToken.None));

        Assert.Contains($"refused the key {otherKey}", error.Message, StringComparison.Ordinal);
        Assert.Contains("--identity", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_port_is_reported_as_connection_refused()
    {
        var endpoint = Endpoint(server) with { Port = TestSshd.FreePort() };

        var error = await Assert.ThrowsAsync<NodeImagerException>(() => NodeShell.ConnectAsync(endpoint, CancellationToken.None));

        Assert.Contains($"127.0.0.1 port {endpoint.Port}: connection refused", error.Message, StringComparison.Ordinal);
        Assert.Contains("booting", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out()
    {
        // Accepts TCP but never sends the SSH banner: what a half-dead node looks like.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var endpoint = Endpoint(server) with { Port = port, ConnectTimeout = TimeSpan.FromSeconds(1) };

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<NodeImagerException>(() => NodeShell.ConnectAsync(endpoint, CancellationToken.None));

        Assert.Contains("no SSH answer within 1 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("--admin-cidr", error.Hint, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_file_that_is_not_a_key_is_reported()
    {
        var notAKey = Path.Combine(home, "not_a_key");
        await File.WriteAllTextAsync(notAKey, "hello\n");

        var error = await Assert.ThrowsAsync<NodeImagerException>(() => NodeShell.ConnectAsync(Endpoint(server, notAKey), CancellationToken.None));

        Assert.Contains("is not an OpenSSH private key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quotes_words_for_the_remote_shell()
    {
        Assert.Equal("/var/log/cloud-init-output.log", NodeShell.Quote("/var/log/cloud-init-output.log"));
        Assert.Equal("'a b'", NodeShell.Quote("a b"));
        Assert.Equal("'it'\\''s'", NodeShell.Quote("it's"));
        Assert.Equal("''", NodeShell.Quote(""));
        Assert.Equal("sudo -n cat -- '/tmp/x y'", NodeShell.PrivilegedReadCommand("/tmp/x y", isRoot: false));
        Assert.Equal("cat -- /tmp/x", NodeShell.PrivilegedReadCommand("/tmp/x", isRoot: true));
    }
}
