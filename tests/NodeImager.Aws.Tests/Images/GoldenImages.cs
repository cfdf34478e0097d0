using System.Text.Json;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Images;

namespace NodeImager.Aws.Tests.Images;

/// <summary>Golden images as a bake leaves them, made with the real aws CLI (quicker than a bake): an instance to
/// image, and an image of it carrying a recipe's tags.</summary>
internal sealed class GoldenImages(Emulator emulator, CliRun cli)
{
    /// <summary>A recipe shipped in images/, the one the image tests bake and boot.</summary>
    public const string Recipe = "ubuntu-24.04-k8s-1.37";

    public static GoldenImageRecipe ReadRecipe() => RecipeCatalog.Read(Path.Combine(Emulator.RepositoryRoot, "images", Recipe + ".yaml"), [])!;

    public async Task<string> SourceInstanceAsync()
    {
        using var run = await emulator.AwsCliAsync("ec2", "run-instances", "--image-id", await cli.SomeImageAsync(), "--instance-type", "t3.micro", "--count", "1");
        return run.RootElement.GetProperty("Instances")[0].GetProperty("InstanceId").GetString()!;
    }

    /// <summary>An image of <paramref name="instanceId"/> named and tagged like a bake of <paramref name="recipe"/>
    /// for Kubernetes 1.37.2; <paramref name="builtAt"/> (ISO-8601) is the built-at tag, left out when null.</summary>
    public async Task<string> CreateAsync(string instanceId, string recipe, string recipeHash, string label, string? builtAt = null)
    {
        var tags = new List<object>
        {
            new { Key = ImageTags.Recipe, Value = recipe },
            new { Key = ImageTags.RecipeHash, Value = recipeHash },
            new { Key = ImageTags.KubernetesVersion, Value = "1.37.2" },
        };
        if (builtAt is not null)
        {
            tags.Add(new { Key = ImageTags.BuiltAt, Value = builtAt });
        }

        var specification = JsonSerializer.Serialize(new[] { new { ResourceType = "image", Tags = tags } });
        using var image = await emulator.AwsCliAsync("ec2", "create-image", "--instance-id", instanceId, "--name", $"nodeimager/{recipe}/1.37.2/{label}", "--tag-specifications", specification);
        return image.RootElement.GetProperty("ImageId").GetString()!;
    }
}
