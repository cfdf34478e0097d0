
namespace NodeImager.Tests.Commands;

public sealed class ReapCommandTests : IDisposable
{
    private readonly Infrastructure.CliHarness cli = new();

    public ReapCommandTests() => cli.Environment["HOME"] = cli.WorkingDirectory;

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Without_credentials_reap_stops_with_a_hint()
    {
        cli.Environment["AWS_REGION"] = "eu-west-1";
        Assert.Equal(2, await cli.RunAsync("reap", "--dry-run"));
        Assert.Contains("No AWS credentials", cli.Output);
    }

    [Fact]
    public async Task Reap_takes_no_cluster_name()
    {
        Assert.Equal(2, await cli.RunAsync("reap", "demo"));
    }
}
