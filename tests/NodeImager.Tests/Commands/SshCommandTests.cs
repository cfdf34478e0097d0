using System.Text;
using Microsoft.Extensions.DependencyInjection;
using NodeImager.Cli.Commands;
using NodeImager.Cli.Infrastructure;
using NodeImager.Core.Model;
using NodeImager.Core.Remote;
using NodeImager.Core.Tests.Remote;
using Spectre.Console.Cli;
using Spectre.Console.Testing;

namespace NodeImager.Tests.Commands;

/// <summary>Nodes of cluster "demo", pointed at local sshd ports.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FakeNodeDirectory(params NodeAddress[] nodes) : INodeDirectory
{
    public List<string> Asked { get; } = [];

    public Task<IReadOnlyList<NodeAddress>> FindAsync(string cluster, CancellationToken cancellationToken)
    {
        Asked.Add(cluster);
        return Task.FromResult<IReadOnlyList<NodeAddress>>(cluster == "demo" ? nodes : []);
    }

    public static NodeAddress Master(int port) => new("i-0master", NodeRole.Master, TestSshd.Host, "10.0.1.5", port);

    public static NodeAddress Worker(int port) => new("i-0worker1", NodeRole.Worker, TestSshd.Host, "10.0.1.6", port);
}

/// <summary>Runs the real CLI against a real sshd, with the cluster's key where `up` would have put it.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CliHarness : IAsyncDisposable
{
    private CliHarness(TestSshd server, string home)
    {
        Server = server;
        Home = home;
    }

    public TestSshd Server { get; }

    public string Home { get; }

    public string ClusterFolder => Path.Combine(Home, "clusters", "demo");

    /// <summary>PATH as the command sees it (where it looks for the ssh client).</summary>
    public string SearchPath { get; set; } = "/usr/bin:/bin";

    /// <summary>The console of the last run (the app disposes what it is given, so each run gets a new one).</summary>
    public TestConsole Console { get; private set; } = new();

    public static async Task<CliHarness> StartAsync(bool nodeFiles = false)
    {
        var server = await TestSshd.StartAsync(new TestSshd.Options(NodeFiles: nodeFiles));
        var home = Directory.CreateTempSubdirectory("nodeimager-cli-").FullName;
        var harness = new CliHarness(server, home);
        Directory.CreateDirectory(harness.ClusterFolder);
        // Any name: the command finds the one private key in the folder.
        File.Copy(server.ClientKey, Path.Combine(harness.ClusterFolder, "demo-ed25519"));
        return harness;
    }

    public async Task<int> RunAsync(INodeDirectory? nodes, TerminalStreams? terminal, params string[] args)
    {
        Console = new TestConsole();
        Console.Profile.Width = 400;
        var environment = new Dictionary<string, string> { ["NODEIMAGER_HOME"] = Home, ["HOME"] = Home, ["PATH"] = SearchPath };
        var app = NodeImagerApp.Create(Console, services =>
        {
            if (nodes is not null)
            {
                services.AddSingleton(nodes);
            }

            if (terminal is not null)
            {
                services.AddSingleton(terminal);
            }
        }, new NodeImagerApp.HostEnvironment(environment, Home, AppContext.BaseDirectory));
        return await app.RunAsync(args);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Home, recursive: true);
    }
}

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SshCommandTests : IAsyncLifetime
{
    private CliHarness cli = null!;

    public async Task InitializeAsync() => cli = await CliHarness.StartAsync();

    public async Task DisposeAsync() => await cli.DisposeAsync();

    private FakeNodeDirectory Nodes => new(FakeNodeDirectory.Master(cli.Server.Port), FakeNodeDirectory.Worker(cli.Server.Port));

    [Fact]
    public async Task Runs_a_command_on_the_master_and_prints_its_output()
    {
        var nodes = Nodes;

        var exitCode = await cli.RunAsync(nodes, null, "ssh", "demo", "--user", "root", "--", "echo", "hi");

        Assert.Equal(0, exitCode);
        Assert.Equal("hi\n", cli.Console.Output);
        Assert.Equal(["demo"], nodes.Asked);
        Assert.Contains($"[127.0.0.1]:{cli.Server.Port} ssh-ed25519 ", await File.ReadAllTextAsync(Path.Combine(cli.ClusterFolder, "known_hosts")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Returns_the_remote_exit_code_of_the_chosen_node()
    {
        // Only the worker is reachable: a 3 proves the worker was picked and its exit code passed through.
        var nodes = new FakeNodeDirectory(FakeNodeDirectory.Master(TestSshd.FreePort()), FakeNodeDirectory.Worker(cli.Server.Port));

        var exitCode = await cli.RunAsync(nodes, null, "ssh", "demo", "worker-1", "--user", "root", "--", "echo", "on-worker;", "exit", "3");

        Assert.Equal(3, exitCode);
        Assert.Equal("on-worker\n", cli.Console.Output);
    }

    [Fact]
    public async Task Remote_stdout_and_stderr_stay_apart_and_byte_exact()
    {
        using var output = new MemoryStream();
        using var error = new MemoryStream();
        var terminal = new TerminalStreams(Stream.Null, output, error, IsInteractive: false);

        var exitCode = await cli.RunAsync(Nodes, terminal, "ssh", "demo", "--user", "root", "--", "printf", "'\\377out'; echo err >&2");

        Assert.Equal(0, exitCode);
        Assert.Equal([0xff, (byte)'o', (byte)'u', (byte)'t'], output.ToArray());
        Assert.Equal("err\n", Encoding.UTF8.GetString(error.ToArray()));
        Assert.Equal("", cli.Console.Output);
    }

    [Fact]
    public async Task The_port_can_be_overridden()
    {
        var nodes = new FakeNodeDirectory(FakeNodeDirectory.Master(TestSshd.FreePort()));

        var exitCode = await cli.RunAsync(nodes, null, "ssh", "demo", "--user", "root", "--port", cli.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--", "echo", "port-ok");

        Assert.Equal(0, exitCode);
        Assert.Equal("port-ok\n", cli.Console.Output);
    }

    [Theory]
    [InlineData("--port", "0")]
    [InlineData("--connect-timeout", "0")]
    public async Task Out_of_range_options_are_bad_input(string option, string value)
    {
        Assert.Equal(2, await cli.RunAsync(Nodes, null, "ssh", "demo", option, value, "--", "true"));
        Assert.Contains($"{option} must be", cli.Console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_terminal_the_shell_reads_commands_from_stdin()
    {
        var terminal = new TerminalStreams(new MemoryStream(Encoding.UTF8.GetBytes("echo via-shell\nexit 5\n")), null, null, IsInteractive: false);

        var exitCode = await cli.RunAsync(Nodes, terminal, "ssh", "demo", "--user", "root");

        Assert.Equal(5, exitCode);
        Assert.Equal("via-shell\n", cli.Console.Output);
    }

    [Fact]
    public async Task A_wrong_key_fails_with_a_message_not_a_stack_trace()
    {
        var otherKey = Path.Combine(cli.Home, "other");
        await TestSshd.Tool("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", otherKey);

        var exitCode = await cli.RunAsync(Nodes, null, "ssh", "demo", "--user", "root", "--identity", otherKey, "--", "true");

        Assert.Equal(1, exitCode);
        Assert.Contains($"Error: root@127.0.0.1:{cli.Server.Port} refused the key {otherKey} (authentication failed).", cli.Console.Output, StringComparison.Ordinal);
        Assert.Contains("Hint:", cli.Console.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("bug", cli.Console.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", cli.Console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_port_fails_with_connection_refused()
    {
        var port = TestSshd.FreePort();

        var exitCode = await cli.RunAsync(new FakeNodeDirectory(FakeNodeDirectory.Master(port)), null, "ssh", "demo", "--user", "root", "--", "true");

        Assert.Equal(1, exitCode);
        Assert.Contains($"Error: Could not connect to 127.0.0.1 port {port}: connection refused", cli.Console.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", cli.Console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_host_key_is_refused()
    {
        Assert.Equal(0, await cli.RunAsync(Nodes, null, "ssh", "demo", "--user", "root", "--", "true"));
        await using var impostor = await cli.Server.ReplaceWithNewHostKeyAsync();

        var exitCode = await cli.RunAsync(Nodes, null, "ssh", "demo", "--user", "root", "--", "echo", "should-not-run");

        Assert.Equal(1, exitCode);
        Assert.Contains("has changed", cli.Console.Output, StringComparison.Ordinal);
        Assert.Contains("ssh-keygen -R", cli.Console.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("should-not-run", cli.Console.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("worker-9", 2, "has no node 'worker-9'")]
    [InlineData("i-0nope", 2, "has no node 'i-0nope'")]
    public async Task An_unknown_node_is_bad_input(string node, int expected, string message)
    {
        Assert.Equal(expected, await cli.RunAsync(Nodes, null, "ssh", "demo", node, "--", "true"));
        Assert.Contains(message, cli.Console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task By_default_nodes_are_found_through_the_aws_edge_which_asks_for_credentials_first()
    {
        // No node directory swapped in and no AWS settings in the environment: the AWS lookup stops before any call.
        var exitCode = await cli.RunAsync(null, null, "ssh", "demo", "--", "true");

        Assert.Equal(2, exitCode);
        Assert.Contains("No AWS credentials found", cli.Console.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("This is a bug", cli.Console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_a_terminal_the_openssh_client_takes_over_after_the_host_key_check()
    {
        // A stand-in ssh records how it was called; the real one then proves those arguments work, strictly checked.
        var bin = Path.Combine(cli.Home, "bin");
        Directory.CreateDirectory(bin);
        var recorded = Path.Combine(cli.Home, "ssh-args");
        await File.WriteAllTextAsync(Path.Combine(bin, "ssh"), $"#!/bin/sh\nprintf '%s\\n' \"$@\" > {recorded}\nexit 7\n");
        File.SetUnixFileMode(Path.Combine(bin, "ssh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        cli.SearchPath = bin;

        var exitCode = await cli.RunAsync(Nodes, new TerminalStreams(Stream.Null, null, null, IsInteractive: true), "ssh", "demo", "--user", "root");

        Assert.Equal(7, exitCode);
        var knownHosts = Path.Combine(cli.ClusterFolder, "known_hosts");
        var arguments = await File.ReadAllLinesAsync(recorded);
        Assert.Equal(
            SshCommand.OpenSshArguments(new NodeEndpoint(TestSshd.Host, cli.Server.Port, "root", Path.Combine(cli.ClusterFolder, "demo-ed25519"), knownHosts)),
            arguments);
        Assert.True(File.Exists(knownHosts));
        Assert.Equal("real-ssh-ok\n", await TestSshd.Tool("/usr/bin/ssh", [.. arguments, "-o", "BatchMode=yes", "echo", "real-ssh-ok"]));
    }

    [Fact]
    public void The_openssh_client_gets_the_same_key_known_hosts_and_strict_checking()
    {
        var endpoint = new NodeEndpoint("203.0.113.7", 22, "ubuntu", "/k/key", "/k/known_hosts");

        Assert.Equal(
            ["-i", "/k/key", "-p", "22", "-l", "ubuntu", "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=/k/known_hosts", "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=15", "203.0.113.7"],
            SshCommand.OpenSshArguments(endpoint));
    }
}

public sealed class SshCommandExamplesTests
{
    [Theory]
    [InlineData("ssh")]
    [InlineData("logs")]
    public async Task The_help_examples_parse(string command)
    {
        var console = new TestConsole();
        var app = NodeImagerApp.Create(console);
        app.Configure(config => config.ValidateExamples());

        Assert.Equal(0, await app.RunAsync([command, "--help"]));
        Assert.Contains($"nodeimager {command} demo", console.Output, StringComparison.Ordinal);
    }
}
