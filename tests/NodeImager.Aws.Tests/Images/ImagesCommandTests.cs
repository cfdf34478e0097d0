using System.Globalization;
using System.Text.Json;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Images;

namespace NodeImager.Aws.Tests.Images;

/// <summary>images list and images prune against the emulator; the images are made with the real aws CLI.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class ImagesCommandTests(Emulator emulator) : IAsyncLifetime, IDisposable
{
    private readonly CliRun cli = new(emulator);

    public Task InitializeAsync() => emulator.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Prune_keeps_exactly_the_newest_N_of_the_recipe_and_deletes_the_others_snapshots()
    {
        var instance = await SourceInstanceAsync();
        // Made out of order, so "newest" must come from the built-at tag, not from creation order.
        var byDay = new Dictionary<int, string>();
        foreach (var day in new[] { 3, 1, 4, 2 })
        {
            byDay[day] = await ImageAsync(instance, "alpha", day);
        }

        var other = await ImageAsync(instance, "beta", 1);
        var snapshotsOf = new Dictionary<string, List<string>>();
        foreach (var id in byDay.Values)
        {
            snapshotsOf[id] = await SnapshotsAsync(id);
        }

        var dryRun = await cli.RunAsync("images", "prune", "alpha", "--keep", "2", "--dry-run");
        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Contains("Would remove " + byDay[1], dryRun.Output);
        Assert.Equal(5, await CountImagesAsync());

        var prune = await cli.RunAsync("images", "prune", "alpha", "--keep", "2");
        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.Equal(new[] { byDay[3], byDay[4] }.Order(StringComparer.Ordinal), (await ImageIdsAsync("alpha")).Order(StringComparer.Ordinal));
        Assert.Equal([other], await ImageIdsAsync("beta"));
        var remaining = await AllSnapshotIdsAsync();
        Assert.All(snapshotsOf[byDay[1]].Concat(snapshotsOf[byDay[2]]), s => Assert.DoesNotContain(s, remaining));
        Assert.All(snapshotsOf[byDay[3]].Concat(snapshotsOf[byDay[4]]), s => Assert.Contains(s, remaining));

        // Pruning to the same N again changes nothing.
        var again = await cli.RunAsync("images", "prune", "alpha", "--keep", "2");
        Assert.Contains("2 image(s) of alpha kept, 0 removed", again.Output);
    }

    [Fact]
    public async Task List_as_json_parses_and_names_recipe_hash_version_and_state_and_the_table_shows_them()
    {
        var instance = await SourceInstanceAsync();
        var alpha = await ImageAsync(instance, "alpha", 1);
        await ImageAsync(instance, "beta", 2);

        var json = await cli.RunAsync("images", "list", "--output", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Output);
        Assert.Equal(["alpha", "beta"], doc.RootElement.EnumerateArray().Select(i => i.GetProperty("recipe").GetString()));
        var first = doc.RootElement[0];
        Assert.Equal(alpha, first.GetProperty("imageId").GetString());
        Assert.Equal("hash-alpha", first.GetProperty("recipeHash").GetString());
        Assert.Equal("1.37.2", first.GetProperty("kubernetesVersion").GetString());
        Assert.Equal("available", first.GetProperty("state").GetString());
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), first.GetProperty("createdAt").GetDateTimeOffset());

        using var only = JsonDocument.Parse((await cli.RunAsync("images", "list", "--recipe", "beta", "--output", "json")).Output);
        Assert.Equal(["beta"], only.RootElement.EnumerateArray().Select(i => i.GetProperty("recipe").GetString()));

        var table = await cli.RunAsync("images", "list");
        Assert.Contains(alpha, table.Output);
        Assert.Contains("hash-alpha", table.Output);
        Assert.Contains("2026-11-01 00:00 UTC", table.Output);
    }

    [Fact]
    public async Task Prune_without_keep_is_exit_2()
    {
        var result = await cli.RunAsync("images", "prune", "alpha");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--keep", result.Output);
    }

    private GoldenImages Images => new(emulator, cli);

    private Task<string> SourceInstanceAsync() => Images.SourceInstanceAsync();

    // Built on the given day of November 2026, so "newest" comes from the built-at tag.
    private Task<string> ImageAsync(string instanceId, string recipe, int day) =>
        Images.CreateAsync(instanceId, recipe, "hash-" + recipe, day.ToString(CultureInfo.InvariantCulture), $"2026-11-{day:00}T00:00:00Z");

    private async Task<List<string>> SnapshotsAsync(string imageId)
    {
        using var images = await emulator.AwsCliAsync("ec2", "describe-images", "--image-ids", imageId);
        return [.. images.RootElement.GetProperty("Images")[0].GetProperty("BlockDeviceMappings").EnumerateArray().Select(m => m.GetProperty("Ebs").GetProperty("SnapshotId").GetString()!)];
    }

    private async Task<List<string>> AllSnapshotIdsAsync()
    {
        using var snapshots = await emulator.AwsCliAsync("ec2", "describe-snapshots", "--owner-ids", "self");
        return [.. snapshots.RootElement.GetProperty("Snapshots").EnumerateArray().Select(s => s.GetProperty("SnapshotId").GetString()!)];
    }

    private async Task<List<string>> ImageIdsAsync(string recipe)
    {
        using var images = await emulator.AwsCliAsync("ec2", "describe-images", "--owners", "self", "--filters", $"Name=tag:{ImageTags.Recipe},Values={recipe}");
        return [.. images.RootElement.GetProperty("Images").EnumerateArray().Select(i => i.GetProperty("ImageId").GetString()!)];
    }

    private async Task<int> CountImagesAsync()
    {
        using var images = await emulator.AwsCliAsync("ec2", "describe-images", "--owners", "self");
        return images.RootElement.GetProperty("Images").GetArrayLength();
    }
}
