using NodeImager.Aws.Tests.Support;

namespace NodeImager.Aws.Tests.Images;

/// <summary>up --image RECIPE boots the recipe's newest image with user-data that carries the recipe's marker, so
/// nodes skip the install when the image's /etc/nodeimager/golden.json matches.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class UpFromGoldenImageTests(Emulator emulator) : IAsyncLifetime, IDisposable
{
    private const string Recipe = GoldenImages.Recipe;
    private readonly CliRun cli = new(emulator);

    public Task InitializeAsync() => emulator.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Up_with_a_recipe_launches_its_golden_image_with_the_marker_in_the_user_data_and_stock_up_has_none()
    {
        var recipe = GoldenImages.ReadRecipe();
        var images = new GoldenImages(emulator, cli);
        var golden = await images.CreateAsync(await images.SourceInstanceAsync(), Recipe, recipe.Hash, "x");

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
