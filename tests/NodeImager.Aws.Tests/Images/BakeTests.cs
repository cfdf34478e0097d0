using System.Globalization;
using System.Net;
using System.Text.Json;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Images;
using NodeImager.Core.Model;

namespace NodeImager.Aws.Tests.Images;

/// <summary>
/// bake against the emulator. The test plays the builder: it writes the phases into SSM as the image-build script
/// would and stops the instance as its power-off would; what bake sent, made and left is checked through the
/// request recording and the real aws CLI.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class BakeTests(Emulator emulator) : IAsyncLifetime, IDisposable
{
    private const string Recipe = GoldenImages.Recipe;
    private readonly CliRun cli = new(emulator);

    public Task InitializeAsync() => emulator.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Bake_launches_one_locked_down_builder_images_it_after_power_off_tags_image_and_snapshots_and_leaves_nothing()
    {
        var ami = await cli.SomeImageAsync();
        var recipe = GoldenImages.ReadRecipe();
        await emulator.StartRecordingAsync();
        var bake = cli.RunAsync("bake", Recipe, "--ami", ami, "--poll-interval", "0.1", "--tag", "team=platform");

        var (instanceId, bakeName) = await WaitForBuilderAsync(bake);
        var parameter = $"/nodeimager/{bakeName}/status/{instanceId}";
        foreach (var (phase, step) in new[] { ("booting", "identity"), ("installing", "install-kubernetes"), ("imaging", "marker"), ("done", "cleanup") })
        {
            await PutStatusAsync(parameter, instanceId, phase, step, extra: phase == "done" ? ", \"containerdVersion\": \"2.1.4\"" : string.Empty);
        }

        await emulator.AwsCliAsync("ec2", "stop-instances", "--instance-ids", instanceId);
        var result = await bake.WaitAsync(TimeSpan.FromSeconds(60));
        var recorded = await emulator.StopRecordingAsync();
        Assert.True(result.ExitCode == 0, result.ToString());

        // What was SENT: moto does not echo MetadataOptions or the shutdown behaviour.
        var run = Assert.Single(recorded, r => r.Action == "RunInstances");
        Assert.Equal("1", run.Parameter("MinCount"));
        Assert.Equal("1", run.Parameter("MaxCount"));
        Assert.Equal(ami, run.Parameter("ImageId"));
        Assert.Equal("t3.medium", run.Parameter("InstanceType"));
        Assert.Equal("required", run.Parameter("MetadataOptions.HttpTokens"));
        Assert.Equal("1", run.Parameter("MetadataOptions.HttpPutResponseHopLimit"));
        Assert.Equal("true", run.Parameter("BlockDeviceMapping.1.Ebs.Encrypted"));
        Assert.Equal("gp3", run.Parameter("BlockDeviceMapping.1.Ebs.VolumeType"));
        Assert.Equal("stop", run.Parameter("InstanceInitiatedShutdownBehavior"));
        Assert.Null(run.Parameter("KeyName"));
        Assert.StartsWith("nodeimager-bake-", run.Parameter("IamInstanceProfile.Name"));
        Assert.DoesNotContain(recorded, r => r.Action == "AuthorizeSecurityGroupIngress");
        var putPolicy = Assert.Single(recorded, r => r.Action == "PutRolePolicy");
        using (var policy = JsonDocument.Parse(putPolicy.Parameter("PolicyDocument")!))
        {
            var statement = Assert.Single(policy.RootElement.GetProperty("Statement").EnumerateArray());
            Assert.Equal(["ssm:PutParameter"], statement.GetProperty("Action").EnumerateArray().Select(a => a.GetString()));
            Assert.Equal($"arn:aws:ssm:*:*:parameter/nodeimager/{bakeName}/status/*", statement.GetProperty("Resource").GetString());
        }

        // The user-data is the renderer's image-build document, valid for the real cloud-init and shellcheck.
        var userData = UserDataCheck.Decode(run.Parameter("UserData")!);
        var (schemaCode, schemaOutput) = await UserDataCheck.SchemaAsync(userData);
        Assert.True(schemaCode == 0, schemaOutput);
        var (scripts, findings) = await UserDataCheck.ShellcheckAsync(userData);
        Assert.True(scripts >= 3 && findings.Length == 0, $"{scripts} scripts: {findings}");
        Assert.Contains($"STATUS_PATH=\"/nodeimager/{bakeName}/status/\"", userData);
        Assert.Contains("ROLE=\"builder\"", userData);
        Assert.Contains($"GOLDEN_RECIPE=\"{Recipe}\"", userData);
        Assert.Contains($"GOLDEN_RECIPE_HASH=\"{recipe.Hash}\"", userData);
        Assert.Contains("image-build.sh", userData);

        // The image and its snapshots, as the real CLI sees them.
        using var images = await emulator.AwsCliAsync("ec2", "describe-images", "--owners", "self", "--filters", $"Name=tag:nodeimager:recipe,Values={Recipe}");
        var image = Assert.Single(images.RootElement.GetProperty("Images").EnumerateArray());
        var imageId = image.GetProperty("ImageId").GetString()!;
        Assert.StartsWith($"nodeimager/{Recipe}/1.37.2/", image.GetProperty("Name").GetString());
        AssertImageTags(image, recipe.Hash, ami);
        var snapshotIds = image.GetProperty("BlockDeviceMappings").EnumerateArray().Select(m => m.GetProperty("Ebs").GetProperty("SnapshotId").GetString()!).ToList();
        Assert.NotEmpty(snapshotIds);
        using var snapshots = await emulator.AwsCliAsync(["ec2", "describe-snapshots", "--snapshot-ids", .. snapshotIds]);
        Assert.All(snapshots.RootElement.GetProperty("Snapshots").EnumerateArray(), s => AssertImageTags(s, recipe.Hash, ami));
        Assert.Contains(imageId, result.Output);

        // up --image finds exactly this image through the aws branch's lookup.
        using (var connection = AwsConnection.Open(new AwsOptions(), emulator.AwsEnvironment()))
        {
            var found = await new AwsClusterCloud(connection, new IamClusterIdentity(connection)).FindRecipeImageAsync(Recipe, "1.37", CancellationToken.None);
            Assert.Equal(imageId, found?.ImageId);
        }

        await AssertNothingLeftAsync(bakeName);
        Assert.Contains($"Builder {instanceId} terminated", result.Output);
    }

    [Fact]
    public async Task A_builder_that_reports_failed_ends_the_bake_with_its_step_and_log_tail_and_everything_is_cleaned_up()
    {
        var bake = cli.RunAsync("bake", Recipe, "--ami", await cli.SomeImageAsync(), "--poll-interval", "0.1");
        var (instanceId, bakeName) = await WaitForBuilderAsync(bake);
        var parameter = $"/nodeimager/{bakeName}/status/{instanceId}";
        await PutStatusAsync(parameter, instanceId, "installing", "install-kubernetes");
        await PutStatusAsync(parameter, instanceId, "failed", "install-kubernetes", ", \"message\": \"step install-kubernetes failed (exit 100)\", \"logTail\": \"E: Version '1.37.2-1.1' for 'kubelet' was not found\\nstep install-kubernetes failed\"");

        var result = await bake.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Failing step: install-kubernetes", result.Output);
        Assert.Contains("| E: Version '1.37.2-1.1' for 'kubelet' was not found", result.Output);
        using var images = await emulator.AwsCliAsync("ec2", "describe-images", "--owners", "self");
        Assert.Empty(images.RootElement.GetProperty("Images").EnumerateArray());
        await AssertNothingLeftAsync(bakeName);
    }

    [Fact]
    public async Task Ctrl_C_while_waiting_removes_the_builder_and_everything_temporary_and_exits_130()
    {
        using var cancel = new CancellationTokenSource();
        var bake = cli.RunAsync(null, cancel.Token, "bake", Recipe, "--ami", await cli.SomeImageAsync(), "--poll-interval", "0.1");
        var (instanceId, bakeName) = await WaitForBuilderAsync(bake);
        await PutStatusAsync($"/nodeimager/{bakeName}/status/{instanceId}", instanceId, "installing", "install-containerd");
        await cancel.CancelAsync();

        var result = await bake.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 130, result.ToString());
        await AssertNothingLeftAsync(bakeName);
    }

    [Fact]
    public async Task A_builder_that_powers_off_without_reporting_done_is_not_imaged()
    {
        var bake = cli.RunAsync("bake", Recipe, "--ami", await cli.SomeImageAsync(), "--poll-interval", "0.1");
        var (instanceId, bakeName) = await WaitForBuilderAsync(bake);
        await PutStatusAsync($"/nodeimager/{bakeName}/status/{instanceId}", instanceId, "installing", "install-docker");
        await emulator.AwsCliAsync("ec2", "stop-instances", "--instance-ids", instanceId);

        var result = await bake.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("powered off without reporting done", result.Output);
        using var images = await emulator.AwsCliAsync("ec2", "describe-images", "--owners", "self");
        Assert.Empty(images.RootElement.GetProperty("Images").EnumerateArray());
        await AssertNothingLeftAsync(bakeName);
    }

    [Fact]
    public async Task A_new_profile_not_yet_visible_to_EC2_is_waited_for_and_a_refused_CreateImage_still_cleans_up()
    {
        await using var proxy = FaultProxy.Start(new Uri(emulator.Endpoint));
        // IAM is eventually consistent: RunInstances right after CreateInstanceProfile can name a profile EC2 cannot see yet.
        proxy.Fail("RunInstances", 1, HttpStatusCode.BadRequest, "InvalidParameterValue", "Value (nodeimager-x) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name");
        proxy.Fail("CreateImage", 1, HttpStatusCode.BadRequest, "InvalidParameterValue", "Injected: image refused");
        var environment = cli.DefaultEnvironment();
        environment["AWS_ENDPOINT_URL"] = proxy.Endpoint.ToString().TrimEnd('/');
        var bake = cli.RunAsync(environment, CancellationToken.None, "bake", Recipe, "--ami", await cli.SomeImageAsync(), "--poll-interval", "0.1");

        var (instanceId, bakeName) = await WaitForBuilderAsync(bake);
        await PutStatusAsync($"/nodeimager/{bakeName}/status/{instanceId}", instanceId, "done", "cleanup");
        await emulator.AwsCliAsync("ec2", "stop-instances", "--instance-ids", instanceId);

        var result = await bake.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("image refused", result.Output);
        Assert.Equal(2, proxy.Calls("RunInstances"));
        using var images = await emulator.AwsCliAsync("ec2", "describe-images", "--owners", "self");
        Assert.Empty(images.RootElement.GetProperty("Images").EnumerateArray());
        await AssertNothingLeftAsync(bakeName);
    }

    [Fact]
    public async Task An_invalid_recipe_is_exit_2_with_file_line_and_field_and_sends_nothing()
    {
        var file = Path.Combine(cli.Home, "broken.yaml");
        await File.WriteAllTextAsync(file, "base: ubuntu-24.04\nkubernetesVersion: \"1.37\"\ninstanceType: t3.medium\npackagez: [jq]\n");
        await emulator.StartRecordingAsync();
        var result = await cli.RunAsync("bake", file);
        var recorded = await emulator.StopRecordingAsync();
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"{file}:4:1", result.Output);
        Assert.Contains("packagez", result.Output);
        Assert.Empty(recorded);

        var unknown = await cli.RunAsync("bake", "no-such-recipe");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains(Recipe, unknown.Output);
    }

    private static void AssertImageTags(JsonElement resource, string hash, string ami)
    {
        Assert.Equal(Recipe, CliRun.Tag(resource, ImageTags.Recipe));
        Assert.Equal(hash, CliRun.Tag(resource, ImageTags.RecipeHash));
        Assert.Equal("1.37.2", CliRun.Tag(resource, ImageTags.KubernetesVersion));
        Assert.Equal(ami, CliRun.Tag(resource, ImageTags.SourceAmi));
        Assert.Equal("2.1.4", CliRun.Tag(resource, "nodeimager:containerd-version"));
        Assert.Equal("platform", CliRun.Tag(resource, "team"));
        var builtAt = DateTimeOffset.Parse(CliRun.Tag(resource, ImageTags.BuiltAt)!, CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.UtcNow - builtAt, TimeSpan.Zero, TimeSpan.FromMinutes(5));
    }

    /// <summary>The builder as the real CLI sees it: its id and the bake name it is tagged with.</summary>
    private async Task<(string InstanceId, string Bake)> WaitForBuilderAsync(Task<CliResult> bake)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (bake.IsCompleted)
            {
                Assert.Fail("bake ended before launching a builder: " + await bake);
            }

            using var described = await emulator.AwsCliAsync("ec2", "describe-instances", "--filters", $"Name=tag:{ImageTags.Builder},Values={Recipe}", "Name=instance-state-name,Values=pending,running");
            if (CliRun.Instances(described).FirstOrDefault() is { ValueKind: JsonValueKind.Object } instance)
            {
                var bakeName = CliRun.Tag(instance, ClusterNaming.ClusterTag)!;
                Assert.Matches($"^bake-{Recipe.Replace(".", "\\.", StringComparison.Ordinal)}-[0-9a-f]{{8}}$", bakeName);
                Assert.Equal("builder", CliRun.Tag(instance, ClusterNaming.RoleTag));
                Assert.Equal(Recipe, CliRun.Tag(instance, ImageTags.Recipe));
                Assert.StartsWith("arn:aws:", CliRun.Tag(instance, ClusterNaming.CreatorTag));
                var expires = DateTimeOffset.Parse(CliRun.Tag(instance, ClusterNaming.ExpiresAtTag)!, CultureInfo.InvariantCulture);
                Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(1.9), TimeSpan.FromHours(2.1));
                return (instance.GetProperty("InstanceId").GetString()!, bakeName);
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("no builder instance appeared");
    }

    private async Task PutStatusAsync(string parameter, string instanceId, string phase, string step, string extra = "")
    {
        var json = $"{{\"instanceId\": \"{instanceId}\", \"role\": \"builder\", \"phase\": \"{phase}\", \"step\": \"{step}\", \"kubernetesVersion\": \"1.37.2\", \"updatedAt\": \"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}\"{extra}}}";
        await emulator.AwsCliAsync("ssm", "put-parameter", "--name", parameter, "--type", "String", "--overwrite", "--value", json);
        await Task.Delay(300);
    }

    /// <summary>No builder, group, role, instance profile or parameter of the bake, as the real CLI sees it.</summary>
    private async Task AssertNothingLeftAsync(string bakeName)
    {
        using var instances = await emulator.AwsCliAsync("ec2", "describe-instances", "--filters", $"Name=tag:nodeimager:cluster,Values={bakeName}", "Name=instance-state-name,Values=pending,running,stopping,stopped,shutting-down");
        Assert.Empty(CliRun.Instances(instances));
        using var groups = await emulator.AwsCliAsync("ec2", "describe-security-groups", "--filters", $"Name=tag:nodeimager:cluster,Values={bakeName}");
        Assert.Empty(groups.RootElement.GetProperty("SecurityGroups").EnumerateArray());
        using var parameters = await emulator.AwsCliAsync("ssm", "get-parameters-by-path", "--path", $"/nodeimager/{bakeName}", "--recursive");
        Assert.Empty(parameters.RootElement.GetProperty("Parameters").EnumerateArray());
        using var roles = await emulator.AwsCliAsync("iam", "list-roles", "--path-prefix", "/nodeimager/builders/");
        Assert.Empty(roles.RootElement.GetProperty("Roles").EnumerateArray());
        using var profiles = await emulator.AwsCliAsync("iam", "list-instance-profiles", "--path-prefix", "/nodeimager/builders/");
        Assert.Empty(profiles.RootElement.GetProperty("InstanceProfiles").EnumerateArray());
    }
}
