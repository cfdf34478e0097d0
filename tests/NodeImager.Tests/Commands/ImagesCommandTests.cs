using AppHarness = NodeImager.Tests.Infrastructure.CliHarness;

namespace NodeImager.Tests.Commands;

public sealed class ImagesCommandTests : IDisposable
{
    private readonly AppHarness cli = AppHarness.WithoutAwsCredentials();

    public void Dispose() => cli.Dispose();

    [Theory]
    [InlineData("images", "prune", "r")]
    [InlineData("images", "prune", "r", "--keep", "-1")]
    [InlineData("images", "list", "--output", "yaml")]
    public async Task Bad_arguments_are_exit_2_before_any_AWS_call(params string[] args)
    {
        Assert.Equal(2, await cli.RunAsync(args));
        Assert.DoesNotContain("credentials", cli.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Help_lists_list_and_prune()
    {
        Assert.Equal(0, await cli.RunAsync("images", "--help"));
        Assert.Contains("list", cli.Output);
        Assert.Contains("prune", cli.Output);
    }
}
