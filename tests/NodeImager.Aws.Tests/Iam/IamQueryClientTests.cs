using Amazon.Runtime;
using NodeImager.Aws.Iam;
using NodeImager.Aws.Tests.Support;

namespace NodeImager.Aws.Tests.Iam;

[Collection(SignedEmulatorCollection.Name)]
public sealed class IamQueryClientTests(SignedEmulator emulator)
{
    private static readonly Dictionary<string, string> Tags = new() { ["nodeimager:cluster"] = "sig" };

    [Fact]
    public async Task A_key_moto_knows_is_accepted_and_the_answers_are_read()
    {
        var admin = await emulator.AdminAsync();
        using var iam = new IamQueryClient(admin, emulator.Endpoint);

        var created = await iam.CreateRoleAsync("nodeimager-sig-worker", "/nodeimager/sig/", NodeIdentityPolicy.AssumeRolePolicy(), Tags, CancellationToken.None);
        var read = await iam.GetRoleAsync("nodeimager-sig-worker", CancellationToken.None);

        Assert.Equal("/nodeimager/sig/", created.Path);
        Assert.EndsWith(":role/nodeimager/sig/nodeimager-sig-worker", read.Arn, StringComparison.Ordinal);
        Assert.Equal(created.RoleId, read.RoleId);
        Assert.Equal("sig", read.Tags["nodeimager:cluster"]);
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_with_SignatureDoesNotMatch_because_the_signature_is_real()
    {
        var admin = (await emulator.AdminAsync()).GetCredentials();
        using var iam = new IamQueryClient(new BasicAWSCredentials(admin.AccessKey, admin.SecretKey + "x"), emulator.Endpoint);

        var error = await Assert.ThrowsAsync<AmazonServiceException>(() => iam.CreateRoleAsync("r", "/", NodeIdentityPolicy.AssumeRolePolicy(), Tags, CancellationToken.None));

        Assert.Equal("SignatureDoesNotMatch", error.ErrorCode);
        Assert.Equal(ErrorType.Sender, error.ErrorType);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, error.StatusCode);
        Assert.False(string.IsNullOrEmpty(error.RequestId));
    }

    [Fact]
    public async Task Missing_and_duplicate_entities_surface_as_IAM_error_codes()
    {
        var admin = await emulator.AdminAsync();
        using var iam = new IamQueryClient(admin, emulator.Endpoint);
        await iam.CreateRoleAsync("dup", "/", NodeIdentityPolicy.AssumeRolePolicy(), Tags, CancellationToken.None);

        var missing = await Assert.ThrowsAsync<AmazonServiceException>(() => iam.GetRoleAsync("nope", CancellationToken.None));
        var duplicate = await Assert.ThrowsAsync<AmazonServiceException>(() => iam.CreateRoleAsync("dup", "/", NodeIdentityPolicy.AssumeRolePolicy(), Tags, CancellationToken.None));

        Assert.Equal(("NoSuchEntity", System.Net.HttpStatusCode.NotFound), (missing.ErrorCode, missing.StatusCode));
        Assert.Equal("EntityAlreadyExists", duplicate.ErrorCode);
    }

    [Fact]
    public async Task Listing_by_path_prefix_follows_the_marker_over_several_pages()
    {
        var admin = await emulator.AdminAsync();
        using var iam = new IamQueryClient(admin, emulator.Endpoint);
        for (var i = 0; i < 5; i++)
        {
            await iam.CreateRoleAsync($"paged-{i}", "/nodeimager/paged/", NodeIdentityPolicy.AssumeRolePolicy(), Tags, CancellationToken.None);
            await iam.CreateInstanceProfileAsync($"paged-{i}", "/nodeimager/paged/", Tags, CancellationToken.None);
        }

        await iam.CreateRoleAsync("elsewhere", "/other/", NodeIdentityPolicy.AssumeRolePolicy(), Tags, CancellationToken.None);
        using var paging = new IamQueryClient(admin, emulator.Endpoint) { PageSize = 2 };
        await emulator.Server.StartRecordingAsync();

        var roles = await paging.ListRolesAsync("/nodeimager/paged/", CancellationToken.None);
        var profiles = await paging.ListInstanceProfilesAsync("/nodeimager/paged/", CancellationToken.None);
        var recorded = await emulator.Server.StopRecordingAsync();

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"paged-{i}"), roles.Select(r => r.RoleName).Order());
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"paged-{i}"), profiles.Select(p => p.InstanceProfileName).Order());
        Assert.Equal(3, recorded.Count(r => r.Action == "ListRoles"));
        Assert.Contains(recorded, r => r.Action == "ListRoles" && r.Parameter("Marker") is not null);
    }

    [Fact]
    public async Task Throttling_from_IAM_is_retried_and_the_retried_request_is_signed_again()
    {
        var admin = await emulator.AdminAsync();
        await using var proxy = FaultProxy.Start(emulator.Endpoint);
        using var iam = new IamQueryClient(admin, proxy.Endpoint) { ThrottleBackoff = TimeSpan.FromMilliseconds(10) };
        proxy.Fail("CreateRole", 2, System.Net.HttpStatusCode.BadRequest, "Throttling", "Rate exceeded");

        var role = await iam.CreateRoleAsync("after-throttle", "/", NodeIdentityPolicy.AssumeRolePolicy(), Tags, CancellationToken.None);

        // moto checked the signature of the third attempt (the proxy keeps the signed Host header).
        Assert.Equal("after-throttle", role.RoleName);
        Assert.Equal(3, proxy.Calls("CreateRole"));
    }
}
