using System.Diagnostics;
using System.Net;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;

namespace NodeImager.Aws.Tests.Support;

[Collection(EmulatorCollection.Name)]
public sealed class FaultProxyTests(Emulator emulator)
{
    private static readonly BasicAWSCredentials Key = new(Emulator.AccessKey, Emulator.SecretKey);

    [Fact]
    public async Task RunInstances_fails_with_the_injected_capacity_error_and_succeeds_once_the_rule_is_used_up()
    {
        await using var proxy = FaultProxy.Start(new Uri(emulator.Endpoint));
        using var ec2 = Ec2(proxy, maxErrorRetry: 0);
        var image = await AnyImageAsync(ec2);
        proxy.Fail("RunInstances", 1, HttpStatusCode.InternalServerError, "InsufficientInstanceCapacity", "We currently do not have sufficient t3.small capacity.");
        var run = new RunInstancesRequest { ImageId = image, InstanceType = InstanceType.T3Small, MinCount = 1, MaxCount = 1 };

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.RunInstancesAsync(run));
        var started = await ec2.RunInstancesAsync(run);

        Assert.Equal("InsufficientInstanceCapacity", error.ErrorCode);
        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Contains("t3.small capacity", error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(error.RequestId));
        Assert.StartsWith("i-", Assert.Single(started.Reservation.Instances).InstanceId, StringComparison.Ordinal);
        Assert.Equal(2, proxy.Calls("RunInstances"));
    }

    [Fact]
    public async Task A_throttle_that_clears_after_two_calls_is_overcome_by_the_SDKs_own_retries()
    {
        await using var proxy = FaultProxy.Start(new Uri(emulator.Endpoint));
        using var ec2 = Ec2(proxy, maxErrorRetry: 3);
        using var noRetries = Ec2(proxy, maxErrorRetry: 0);
        proxy.Fail("DescribeVpcs", 2, HttpStatusCode.ServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.");

        var vpcs = await ec2.DescribeVpcsAsync(new DescribeVpcsRequest());

        Assert.Contains(vpcs.Vpcs, v => v.IsDefault == true);
        Assert.Equal(3, proxy.Calls("DescribeVpcs"));

        // Without retries the same rule reaches the caller: the success above is the SDK's doing.
        proxy.Fail("DescribeVpcs", 2, HttpStatusCode.ServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.");
        var throttled = await Assert.ThrowsAsync<AmazonEC2Exception>(() => noRetries.DescribeVpcsAsync(new DescribeVpcsRequest()));
        Assert.Equal("RequestLimitExceeded", throttled.ErrorCode);
    }

    [Fact]
    public async Task JSON_services_get_their_own_error_shape_and_other_actions_pass_through()
    {
        await using var proxy = FaultProxy.Start(new Uri(emulator.Endpoint));
        using var ssm = new AmazonSimpleSystemsManagementClient(Key, new AmazonSimpleSystemsManagementConfig { ServiceURL = proxy.Endpoint.ToString(), AuthenticationRegion = Emulator.Region, MaxErrorRetry = 0 });
        proxy.Fail("PutParameter", 1, HttpStatusCode.BadRequest, "ParameterLimitExceeded", "Too many parameters.");
        var put = new PutParameterRequest { Name = "/nodeimager/proxy/join", Type = ParameterType.SecureString, Value = "{}", Overwrite = true };

        var error = await Assert.ThrowsAsync<ParameterLimitExceededException>(() => ssm.PutParameterAsync(put));
        await ssm.PutParameterAsync(put);
        var read = await ssm.GetParameterAsync(new GetParameterRequest { Name = put.Name, WithDecryption = true });

        Assert.Equal("Too many parameters.", error.Message);
        Assert.Equal("{}", read.Parameter.Value);
        Assert.Equal((2, 1), (proxy.Calls("PutParameter"), proxy.Calls("GetParameter")));
    }

    [Fact]
    public async Task A_delay_holds_only_its_action()
    {
        await using var proxy = FaultProxy.Start(new Uri(emulator.Endpoint));
        using var ec2 = Ec2(proxy, maxErrorRetry: 0);
        proxy.Delay("DescribeVpcs", TimeSpan.FromMilliseconds(1500));

        var slow = Stopwatch.StartNew();
        await ec2.DescribeVpcsAsync(new DescribeVpcsRequest());
        slow.Stop();
        var fast = Stopwatch.StartNew();
        await ec2.DescribeSubnetsAsync(new DescribeSubnetsRequest());
        fast.Stop();

        Assert.True(slow.Elapsed >= TimeSpan.FromMilliseconds(1500), $"DescribeVpcs took {slow.Elapsed}");
        Assert.True(fast.Elapsed < TimeSpan.FromMilliseconds(1500), $"DescribeSubnets took {fast.Elapsed}");
        Assert.Equal(1, proxy.CallCounts["DescribeSubnets"]);
    }

    private static AmazonEC2Client Ec2(FaultProxy proxy, int maxErrorRetry) => new(Key, new AmazonEC2Config
    {
        ServiceURL = proxy.Endpoint.ToString(),
        AuthenticationRegion = Emulator.Region,
        MaxErrorRetry = maxErrorRetry,
        RetryMode = RequestRetryMode.Standard,
    });

    private static async Task<string> AnyImageAsync(AmazonEC2Client ec2)
    {
        var images = await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["amazon"] });
        return images.Images.First().ImageId;
    }
}
