using System.Text.Json;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Images;

namespace NodeImager.Aws.Tests.Images;

/// <summary>up --image RECIPE boots the recipe's newest image with user-data that carries the recipe's marker, so
/// nodes skip the install when the image's /etc/nodeimager/golden.json matches.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class UpFromGoldenImageTests(Emulator emulator) : IAsyncLifetime, IDisposable
{
    private const string Recipe = "ubuntu-24.04-k8s-1.37";
    private readonly CliRun cli = new(emulator);

    public Task InitializeAsync() => emulator.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Up_with_a_recipe_launches_its_golden_image_with_the_marker_in_the_user_data_and_stock_up_has_none()
    {
        var recipe = RecipeCatalog.Read(Path.Combine(Emulator.RepositoryRoot, "images", Recipe + ".yaml"), [])!;
        using var run = await emulator.AwsCliAsync("ec2", "run-instances", "--image-id", await cli.SomeImageAsync(), "--instance-type", "t3.micro", "--count", "1");
        var source = run.RootElement.GetProperty("Instances")[0].GetProperty("InstanceId").GetString()!;
        var tags = JsonSerializer.Serialize(new[]
        {
            new
            {
                ResourceType = "image",
                Tags = new[]
                {
                    new { Key = ImageTags.Recipe, Value = Recipe },
                    new { Key = ImageTags.RecipeHash, Value = recipe.Hash },
                    new { Key = ImageTags.KubernetesVersion, Value = "1.37.2" },
                },
            },
        });
        using var created = await emulator.AwsCliAsync("ec2", "create-image", "--instance-id", source, "--name", $"nodeimager/{Recipe}/1.37.2/x", "--tag-specifications", tags);
        var golden = created.RootElement.GetProperty("ImageId").GetString()!;

        await emulator.StartRecordingAsync();
        var up = await cli.RunAsync("up", "--name", "gold", "--image", Recipe, "--admin-cidr", "203.0.113.7/32", "--no-wait", "--poll-interval", "0.1");
        var stock = await cli.UpAsync("plain", "--no-wait");
        var recorded = await emulator.StopRecordingAsync();
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.True(stock.ExitCode == 0, stock.ToString());

        var runs = recorded.Where(r => r.Action == "RunInstances").ToList();
        var goldRuns = runs.Where(r => r.Parameter("ImageId") == golden).ToList();
        Assert.Equal(2, goldRuns.Count);
        foreach (var launch in goldRuns)
        {
            var userData = UserDataCheck.Decode(launch.Parameter("UserData")!);
            Assert.Contains($"GOLDEN_RECIPE=\"{Recipe}\"", userData);
            Assert.Contains($"GOLDEN_RECIPE_HASH=\"{recipe.Hash}\"", userData);
            Assert.Contains("GOLDEN_KUBERNETES_VERSION=\"1.37\"", userData);
        }

        var stockRuns = runs.Where(r => r.Parameter("ImageId") != golden).ToList();
        Assert.Equal(2, stockRuns.Count);
        Assert.All(stockRuns, launch => Assert.Contains("GOLDEN_RECIPE_HASH=\"\"", UserDataCheck.Decode(launch.Parameter("UserData")!)));
    }
}
