using System.Diagnostics;
using System.Net;
using NodeImager.Aws.Tests.Support;

namespace NodeImager.Aws.Tests;

/// <summary>Launch failures, throttling and Ctrl-C, injected by the FaultProxy between the CLI and the emulator.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class FaultTests(Emulator emulator) : IAsyncLifetime, IDisposable
{
    private readonly CliRun cli = new(emulator);
    private FaultProxy proxy = null!;

    public async Task InitializeAsync()
    {
        await emulator.ResetAsync();
        proxy = FaultProxy.Start(new Uri(emulator.Endpoint));
    }

    public async Task DisposeAsync() => await proxy.DisposeAsync();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task A_failing_RunInstances_leaves_only_tagged_resources_names_the_down_command_and_down_removes_them()
    {
        proxy.Fail("RunInstances", 1, HttpStatusCode.InternalServerError, "InsufficientInstanceCapacity", "We currently do not have sufficient t3.medium capacity.");
        var up = await UpThroughProxyAsync("nu", CancellationToken.None, "--workers", "2", "--no-wait", "--diagnostics");

        Assert.Equal(1, up.ExitCode);
        Assert.Matches(@"\(request id [0-9a-f-]+\)", up.Output);
        Assert.Contains("InsufficientInstanceCapacity", up.Output);
        Assert.Contains("launching", up.Output);
        Assert.Contains("capacity", up.Output);
        Assert.Contains("nodeimager down nu", up.Output);
        Assert.Contains("security group nodeimager-nu-master", up.Output);
        Assert.Equal(2, proxy.Calls("RunInstances"));
        await AssertEveryInstanceTaggedAsync();

        var down = await cli.RunAsync("down", "nu", "--poll-interval", "0.1");
        Assert.True(down.ExitCode == 0, down.ToString());
        await AssertNothingLeftAsync("nu");
    }

    [Fact]
    public async Task Throttling_that_clears_is_retried_with_backoff_and_every_attempt_is_counted()
    {
        proxy.Fail("RunInstances", 2, HttpStatusCode.BadRequest, "RequestLimitExceeded", "Request limit exceeded.");
        proxy.Fail("GetParametersByPath", 1, HttpStatusCode.BadRequest, "ThrottlingException", "Rate exceeded");
        proxy.Fail("CreateRole", 1, HttpStatusCode.BadRequest, "Throttling", "Rate exceeded");
        var up = await UpThroughProxyAsync("xi", CancellationToken.None, "--workers", "3", "--no-wait", "--stats");

        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Contains("throttled and retried: 4", up.Output);
        Assert.Equal(4, proxy.Calls("RunInstances"));
        Assert.Contains($"ec2:RunInstances {proxy.Calls("RunInstances")}", up.Output);
        Assert.Contains($"iam:CreateRole {proxy.Calls("CreateRole")}", up.Output);
        Assert.Equal(4, (await cli.WaitForInstancesAsync("xi", 4)).Count);
    }

    [Fact]
    public async Task Ctrl_C_during_RunInstances_stops_prints_the_down_command_and_down_then_removes_everything()
    {
        proxy.Delay("RunInstances", TimeSpan.FromSeconds(3));
        using var cancellation = new CancellationTokenSource();
        var up = UpThroughProxyAsync("omicron", cancellation.Token, "--workers", "2", "--no-wait");
        var waited = Stopwatch.StartNew();
        while (proxy.Calls("RunInstances") < 2 && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, proxy.Calls("RunInstances"));
        var cancelledAt = Stopwatch.StartNew();
        await cancellation.CancelAsync();
        var result = await up.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.InRange(cancelledAt.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Equal(130, result.ExitCode);
        Assert.Contains("Cancelled", result.Output);
        Assert.Contains("nodeimager down omicron", result.Output);

        // The requests already sent still reach EC2 after the delay (as they would in AWS): down must find them too.
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        await AssertEveryInstanceTaggedAsync();
        var down = await cli.RunAsync("down", "omicron", "--poll-interval", "0.1");
        Assert.True(down.ExitCode == 0, down.ToString());
        await AssertNothingLeftAsync("omicron");
    }

    private async Task<CliResult> UpThroughProxyAsync(string name, CancellationToken cancellationToken, params string[] extra)
    {
        var environment = cli.DefaultEnvironment();
        environment["AWS_ENDPOINT_URL"] = proxy.Endpoint.ToString().TrimEnd('/');
        var args = new List<string> { "up", "--name", name, "--admin-cidr", "203.0.113.7/32", "--ami", await cli.SomeImageAsync() };
        args.AddRange(extra);
        return await cli.RunAsync(environment, cancellationToken, [.. args]);
    }

    /// <summary>Nothing is orphaned untagged: every instance in the account carries a cluster tag.</summary>
    private async Task AssertEveryInstanceTaggedAsync()
    {
        using var all = await emulator.AwsCliAsync("ec2", "describe-instances");
        Assert.All(CliRun.Instances(all), i => Assert.NotNull(CliRun.Tag(i, "nodeimager:cluster")));
    }

    private async Task AssertNothingLeftAsync(string cluster) => Assert.Empty(await emulator.ClusterLeftoversAsync(cluster));
}
