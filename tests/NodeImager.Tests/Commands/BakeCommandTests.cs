using AppHarness = NodeImager.Tests.Infrastructure.CliHarness;

namespace NodeImager.Tests.Commands;

/// <summary>bake's local checks: everything wrong with the input is exit 2 before any credential or AWS call is
/// needed (the harness has no AWS environment at all, so reaching AWS would fail differently).</summary>
public sealed class BakeCommandTests : IDisposable
{
    private readonly AppHarness cli = AppHarness.WithoutAwsCredentials();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task A_recipe_with_an_unknown_field_and_a_bad_version_is_exit_2_naming_file_line_and_field()
    {
        var file = Path.Combine(cli.WorkingDirectory, "mine.yaml");
        await File.WriteAllTextAsync(file, "base: ubuntu-24.04\nkubernetesVersion: \"1.20\"\ninstanceType: t3.medium\npakages: [jq]\n");
        var code = await cli.RunAsync("bake", "mine.yaml");
        Assert.Equal(2, code);
        Assert.Contains($"{file}:2:", cli.Output);
        Assert.Contains("kubernetesVersion", cli.Output);
        Assert.Contains($"{file}:4:1", cli.Output);
        Assert.Contains("did you mean 'packages'", cli.Output);
        Assert.DoesNotContain("credentials", cli.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_unknown_recipe_name_is_exit_2_listing_the_known_ones()
    {
        var code = await cli.RunAsync("bake", "ubuntu-99");
        Assert.Equal(2, code);
        Assert.Contains("ubuntu-24.04-k8s-1.37", cli.Output);
        Assert.Contains("ubuntu-26.04-k8s-1.37", cli.Output);
    }

    [Fact]
    public async Task A_valid_recipe_passes_the_local_checks_and_then_needs_credentials()
    {
        var code = await cli.RunAsync("bake", "ubuntu-24.04-k8s-1.37");
        Assert.Equal(2, code);
        Assert.Contains("No AWS credentials found", cli.Output);
    }

    [Theory]
    [InlineData("--ttl", "soon")]
    [InlineData("--timeout", "0m")]
    [InlineData("--tag", "novalue")]
    public async Task Bad_flags_are_exit_2(string flag, string value)
    {
        Assert.Equal(2, await cli.RunAsync("bake", "ubuntu-24.04-k8s-1.37", flag, value));
        Assert.Contains(flag, cli.Output);
    }
}
