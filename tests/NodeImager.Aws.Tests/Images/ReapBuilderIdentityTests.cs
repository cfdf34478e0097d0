using Amazon.EC2;
using Amazon.EC2.Model;
using NodeImager.Aws.Iam;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Images;
using NodeImager.Core.Model;

namespace NodeImager.Aws.Tests.Images;

/// <summary>
/// reap and the builder identities a crashed or killed bake leaves (role + instance profile under
/// /nodeimager/builders/, which down never sees). The test makes them with the same code bake uses, as a bake that
/// died after creating them would leave them; what reap left is checked with the real aws CLI. moto stamps every role
/// with the time it was made, so ages are played with reap's hidden --builder-grace.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class ReapBuilderIdentityTests(Emulator emulator) : IAsyncLifetime, IDisposable
{
    private readonly CliRun cli = new(emulator);
    private readonly IamQueryClient iam = new(new Amazon.Runtime.BasicAWSCredentials(Emulator.AccessKey, Emulator.SecretKey), new Uri(emulator.Endpoint));

    public Task InitializeAsync() => emulator.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        iam.Dispose();
        cli.Dispose();
    }

    [Fact]
    public async Task Reap_removes_what_a_crashed_bake_left_builder_first_then_its_role_and_profile()
    {
        // A bake killed while its builder ran: the builder (expired by now), and its role and profile.
        const string bake = "bake-ubuntu-24.04-k8s-1.37-0badc0de";
        var profile = await CreateIdentityAsync(bake, expiresAt: "2020-01-01T00:00:00Z");
        var builder = await LaunchBuilderAsync(bake, profile, expiresAt: "2020-01-01T00:00:00Z");

        var dry = await cli.RunAsync("reap", "--dry-run", "--builder-grace", "0");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains($"Cluster {bake} expired", dry.Output);
        Assert.Contains($"Builder IAM role and instance profile {BuilderIdentity.Name(bake)} of bake {bake}", dry.Output);
        Assert.Contains("(dry run: would remove them)", dry.Output);
        Assert.True(await RoleExistsAsync(bake), "a dry run removed the role");
        Assert.True(await ProfileExistsAsync(bake), "a dry run removed the profile");

        var reap = await cli.RunAsync("reap", "--builder-grace", "0", "--poll-interval", "0.1");
        Assert.True(reap.ExitCode == 0, reap.ToString());
        Assert.Contains($"Cluster {bake} is gone", reap.Output);
        Assert.Contains($"Builder IAM role and instance profile {BuilderIdentity.Name(bake)} of bake {bake} (created ", reap.Output);
        Assert.Contains("no builder left) removed", reap.Output);

        using var instances = await emulator.AwsCliAsync("ec2", "describe-instances", "--instance-ids", builder);
        Assert.Equal("terminated", CliRun.Instances(instances).Single().GetProperty("State").GetProperty("Name").GetString());
        Assert.False(await RoleExistsAsync(bake), "the role is still there");
        Assert.False(await ProfileExistsAsync(bake), "the profile is still there");
        using var roles = await emulator.AwsCliAsync("iam", "list-roles", "--path-prefix", BuilderIdentity.IamPath);
        Assert.Empty(roles.RootElement.GetProperty("Roles").EnumerateArray());
        using var profiles = await emulator.AwsCliAsync("iam", "list-instance-profiles", "--path-prefix", BuilderIdentity.IamPath);
        Assert.Empty(profiles.RootElement.GetProperty("InstanceProfiles").EnumerateArray());

        // Nothing left: a second reap finds nothing to do.
        var again = await cli.RunAsync("reap", "--builder-grace", "0");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.DoesNotContain("Builder IAM role", again.Output);
    }

    [Fact]
    public async Task Reap_keeps_a_builder_identity_that_is_younger_than_the_grace_or_in_use_and_roles_that_are_not_NodeImagers()
    {
        const string running = "bake-ubuntu-24.04-k8s-1.37-00000001";
        const string crashed = "bake-ubuntu-24.04-k8s-1.37-00000002";
        var profile = await CreateIdentityAsync(running, expiresAt: "2099-01-01T00:00:00Z");
        await LaunchBuilderAsync(running, profile, expiresAt: "2099-01-01T00:00:00Z");
        await CreateIdentityAsync(crashed, expiresAt: "2099-01-01T00:00:00Z");
        // Under the builders' path but without a bake tag: not NodeImager's.
        await emulator.AwsCliAsync("iam", "create-role", "--role-name", "someone-elses", "--path", BuilderIdentity.IamPath, "--assume-role-policy-document", NodeIdentityPolicy.AssumeRolePolicy());

        // Made seconds ago: within the default hour a bake may still be about to launch its builder.
        var young = await cli.RunAsync("reap");
        Assert.True(young.ExitCode == 0, young.ToString());
        Assert.DoesNotContain("Builder IAM role", young.Output);
        Assert.True(await RoleExistsAsync(crashed) && await ProfileExistsAsync(crashed), "a young identity was removed");

        // Past the grace: the one without a builder goes; the one a live builder uses, and the foreign role, stay.
        var old = await cli.RunAsync("reap", "--builder-grace", "0");
        Assert.True(old.ExitCode == 0, old.ToString());
        Assert.Contains($"{BuilderIdentity.Name(crashed)} of bake {crashed}", old.Output);
        Assert.DoesNotContain(running, old.Output);
        Assert.False(await RoleExistsAsync(crashed) || await ProfileExistsAsync(crashed), "the identity of the crashed bake is still there");
        Assert.True(await RoleExistsAsync(running), "the running builder's role was removed");
        Assert.True(await ProfileExistsAsync(running), "the running builder's profile was removed");
        using var foreign = await emulator.AwsCliAsync("iam", "get-role", "--role-name", "someone-elses");
        Assert.Equal("someone-elses", foreign.RootElement.GetProperty("Role").GetProperty("RoleName").GetString());
    }

    [Fact]
    public async Task A_negative_builder_grace_is_bad_input()
    {
        var result = await cli.RunAsync("reap", "--builder-grace", "-5");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--builder-grace", result.Output);
    }

    /// <summary>Role, policy and profile exactly as bake makes them, with bake's tags.</summary>
    private Task<string> CreateIdentityAsync(string bake, string expiresAt) =>
        new BuilderIdentity(iam).CreateAsync(bake, BakeTags(bake, expiresAt), CancellationToken.None);

    private async Task<string> LaunchBuilderAsync(string bake, string profile, string expiresAt)
    {
        var response = await cli.Aws.Ec2.RunInstancesAsync(new RunInstancesRequest
        {
            ImageId = await cli.SomeImageAsync(),
            InstanceType = InstanceType.T3Medium,
            MinCount = 1,
            MaxCount = 1,
            IamInstanceProfile = new IamInstanceProfileSpecification { Name = profile },
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.Instance, Tags = [.. BakeTags(bake, expiresAt).Select(t => new Tag(t.Key, t.Value))] }],
        });
        return response.Reservation.Instances[0].InstanceId;
    }

    private static Dictionary<string, string> BakeTags(string bake, string expiresAt) => new(StringComparer.Ordinal)
    {
        [ClusterNaming.ClusterTag] = bake,
        [ClusterNaming.RoleTag] = ImageTags.BuilderRole,
        [ImageTags.Builder] = "ubuntu-24.04-k8s-1.37",
        [ImageTags.Recipe] = "ubuntu-24.04-k8s-1.37",
        [ClusterNaming.ExpiresAtTag] = expiresAt,
        [ClusterNaming.CreatorTag] = "arn:aws:iam::123456789012:user/test",
    };

    private async Task<bool> RoleExistsAsync(string bake) =>
        Exists(await emulator.AwsCliRawAsync("iam", "get-role", "--role-name", BuilderIdentity.Name(bake)));

    private async Task<bool> ProfileExistsAsync(string bake) =>
        Exists(await emulator.AwsCliRawAsync("iam", "get-instance-profile", "--instance-profile-name", BuilderIdentity.Name(bake)));

    /// <summary>Only IAM's own "no such entity" counts as gone; any other failure of the CLI fails the test.</summary>
    private static bool Exists((int Code, string Output) answer) =>
        answer.Code == 0 || (answer.Output.Contains("NoSuchEntity", StringComparison.Ordinal) ? false : throw new InvalidOperationException(answer.Output));
}
