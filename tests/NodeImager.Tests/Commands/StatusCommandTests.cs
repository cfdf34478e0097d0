
namespace NodeImager.Tests.Commands;

public sealed class StatusCommandTests : IDisposable
{
    private readonly Infrastructure.CliHarness cli = new();

    public StatusCommandTests() => cli.Environment["HOME"] = cli.WorkingDirectory;

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Only_table_and_json_are_output_formats()
    {
        Assert.Equal(2, await cli.RunAsync("status", "demo", "--output", "xml"));
        Assert.Contains("--output must be table or json", cli.Output);
    }

    [Fact]
    public async Task Without_credentials_status_stops_with_a_hint()
    {
        cli.Environment["AWS_REGION"] = "eu-west-1";
        Assert.Equal(2, await cli.RunAsync("status"));
        Assert.Contains("No AWS credentials", cli.Output);
    }
}
