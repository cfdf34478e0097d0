namespace NodeImager.Tests.Commands;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LogsCommandTests : IAsyncLifetime
{
    private CliHarness cli = null!;

    public async Task InitializeAsync() => cli = await CliHarness.StartAsync(nodeFiles: true);

    public async Task DisposeAsync() => await cli.DisposeAsync();

    private FakeNodeDirectory Nodes => new(FakeNodeDirectory.Master(cli.Server.Port), FakeNodeDirectory.Worker(cli.Server.Port));

    [Fact]
    public async Task Prints_both_boot_logs()
    {
        cli.Server.WriteNodeFile("/var/log/cloud-init-output.log", "Cloud-init v. 25.1.4 running\n");
        cli.Server.WriteNodeFile("/var/log/nodeimager-bootstrap.log", "phase=ready");

        var exitCode = await cli.RunAsync(Nodes, null, "logs", "demo", "--user", "root");

        Assert.Equal(0, exitCode);
        Assert.Equal(
            "==> master:/var/log/cloud-init-output.log <==\nCloud-init v. 25.1.4 running\n==> master:/var/log/nodeimager-bootstrap.log <==\nphase=ready\n",
            cli.Console.Output);
    }

    [Fact]
    public async Task Writes_the_logs_into_a_folder()
    {
        cli.Server.WriteNodeFile("/var/log/cloud-init-output.log", "one\n");
        cli.Server.WriteNodeFile("/var/log/nodeimager-bootstrap.log", "two\n");

        var exitCode = await cli.RunAsync(Nodes, null, "logs", "demo", "worker-1", "--user", "root", "--out", "logs");

        Assert.Equal(0, exitCode);
        Assert.Equal("one\n", await File.ReadAllTextAsync(Path.Combine(cli.Home, "logs", "worker-1-cloud-init-output.log")));
        Assert.Equal("two\n", await File.ReadAllTextAsync(Path.Combine(cli.Home, "logs", "worker-1-nodeimager-bootstrap.log")));
        Assert.Contains("Wrote ", cli.Console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_log_is_noted_and_the_other_printed()
    {
        cli.Server.WriteNodeFile("/var/log/cloud-init-output.log", "booting\n");

        var exitCode = await cli.RunAsync(Nodes, null, "logs", "demo", "--user", "root");

        Assert.Equal(0, exitCode);
        Assert.Contains("booting\n", cli.Console.Output, StringComparison.Ordinal);
        Assert.Contains("/var/log/nodeimager-bootstrap.log is not on master (yet).", cli.Console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_logs_at_all_is_an_error()
    {
        var exitCode = await cli.RunAsync(Nodes, null, "logs", "demo", "--user", "root");

        Assert.Equal(1, exitCode);
        Assert.Contains("has none of the boot logs yet", cli.Console.Output, StringComparison.Ordinal);
    }
}
