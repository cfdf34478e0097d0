
namespace NodeImager.Tests.Commands;

/// <summary>up's flags and the checks it makes before any AWS call (the emulator tests cover the cloud side).</summary>
public sealed class UpCommandTests : IDisposable
{
    private readonly Infrastructure.CliHarness cli = new();

    public UpCommandTests()
    {
        // A HOME without ~/.aws, so nothing of the machine running the tests leaks in.
        cli.Environment["HOME"] = cli.WorkingDirectory;
    }

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Help_shows_the_aws_and_launch_flags_but_not_the_test_only_poll_interval()
    {
        Assert.Equal(0, await cli.RunAsync("up", "--help"));
        foreach (var flag in new[] { "--dry-run", "--no-wait", "--timeout", "--spot", "--subnet-id", "--ami", "--instance-profile", "--profile", "--endpoint-url", "--stats", "--admin-cidr", "--ttl" })
        {
            Assert.Contains(flag, cli.Output);
        }

        Assert.DoesNotContain("--poll-interval", cli.Output);
    }

    [Fact]
    public async Task Without_credentials_up_stops_with_a_hint_before_any_call()
    {
        cli.Environment["AWS_REGION"] = "eu-west-1";
        var code = await cli.RunAsync("up", "--name", "demo", "--admin-cidr", "203.0.113.7/32");
        Assert.Equal(2, code);
        Assert.Contains("No AWS credentials", cli.Output);
        Assert.Contains("--profile", cli.Output);
    }

    [Fact]
    public async Task Without_a_region_up_stops_with_a_hint()
    {
        cli.Environment["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE";
        cli.Environment["AWS_SECRET_ACCESS_KEY"] = "secret";
        var code = await cli.RunAsync("up", "--name", "demo");
        Assert.Equal(2, code);
        Assert.Contains("No AWS region", cli.Output);
        Assert.Contains("AWS_REGION", cli.Output);
    }

    [Fact]
    public async Task A_missing_named_profile_is_reported_by_name()
    {
        cli.Environment["AWS_REGION"] = "eu-west-1";
        var code = await cli.RunAsync("up", "--profile", "nosuch");
        Assert.Equal(2, code);
        Assert.Contains("profile 'nosuch'", cli.Output);
    }

    [Fact]
    public async Task Spec_problems_come_before_credentials()
    {
        var code = await cli.RunAsync("up", "--workers", "999");
        Assert.Equal(2, code);
        Assert.Contains("workers", cli.Output);
        Assert.DoesNotContain("credentials", cli.Output);
    }

    [Fact]
    public async Task A_bad_timeout_is_bad_input()
    {
        Assert.Equal(2, await cli.RunAsync("up", "--timeout", "soon"));
        Assert.Contains("--timeout", cli.Output);
    }
}
