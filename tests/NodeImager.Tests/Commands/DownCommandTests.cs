
namespace NodeImager.Tests.Commands;

public sealed class DownCommandTests : IDisposable
{
    private readonly Infrastructure.CliHarness cli = new();

    public DownCommandTests() => cli.Environment["HOME"] = cli.WorkingDirectory;

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Down_needs_a_cluster_name()
    {
        Assert.Equal(2, await cli.RunAsync("down"));
        Assert.Contains("NAME", cli.Output);
    }

    [Fact]
    public async Task Without_a_region_down_stops_with_a_hint()
    {
        cli.Environment["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE";
        cli.Environment["AWS_SECRET_ACCESS_KEY"] = "secret";
        Assert.Equal(2, await cli.RunAsync("down", "demo"));
        Assert.Contains("No AWS region", cli.Output);
    }

    [Fact]
    public async Task Help_offers_dry_run()
    {
        Assert.Equal(0, await cli.RunAsync("down", "--help"));
        Assert.Contains("--dry-run", cli.Output);
        Assert.Contains("--endpoint-url", cli.Output);
    }
}
