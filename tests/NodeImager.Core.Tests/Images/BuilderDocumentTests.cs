using NodeImager.Core.Images;
using NodeImager.Core.Model;
using NodeImager.Core.Orchestration;
using NodeImager.Core.Rendering;
using NodeImager.Core.Tests.Rendering;

namespace NodeImager.Core.Tests.Images;

/// <summary>The builder's user-data for every shipped recipe, judged by the real cloud-init, and the node documents
/// up renders for a golden image.</summary>
public sealed class BuilderDocumentTests
{
    private static IReadOnlyList<GoldenImageRecipe> Recipes { get; } =
        RecipeCatalog.Load(Path.Combine(RenderingFixtures.RepositoryRoot, "images"), []).Recipes;

    [Fact]
    public void Every_shipped_recipe_renders_a_builder_document_cloud_init_accepts()
    {
        Assert.NotEmpty(Recipes);
        var documents = Recipes.Select(r => BuilderDocument.Render(RenderingFixtures.Catalog, r, ImageTags.BakeName(r.Name, "0123abcd"), RenderingFixtures.FixedExpiry)).ToList();
        var verdicts = CloudInitSchema.Validate([.. documents.Select(d => d.Text)]);
        Assert.All(verdicts, v => Assert.Null(v));
        Assert.All(documents, d => Assert.True(d.UserData.Length <= RenderedDocument.MaxUserDataBytes));
    }

    [Fact]
    public void The_builder_reports_as_builder_under_its_bake_path_and_writes_the_recipes_marker()
    {
        var recipe = Recipes[0];
        var bake = ImageTags.BakeName(recipe.Name, "0123abcd");
        var document = BuilderDocument.Render(RenderingFixtures.Catalog, recipe, bake, RenderingFixtures.FixedExpiry);
        var env = RenderingFixtures.NodeEnv(document.Text);

        Assert.Equal("builder", env["ROLE"]);
        Assert.Equal($"/nodeimager/bake-{recipe.Name}-0123abcd/status/", env["STATUS_PATH"]);
        Assert.Equal(recipe.Name, env["GOLDEN_RECIPE"]);
        Assert.Equal(recipe.Hash, env["GOLDEN_RECIPE_HASH"]);
        Assert.Equal(recipe.KubernetesVersion.ToString(), env["GOLDEN_KUBERNETES_VERSION"]);
        Assert.Equal(recipe.Runtime.Docker ? "true" : "false", env["DOCKER"]);
        Assert.Equal("2026-12-01T18:30:00Z", env["EXPIRES_AT"]);
        Assert.Contains("image-build.sh", document.Text);
    }

    [Fact]
    public void Up_renders_the_marker_for_golden_images_and_none_for_stock()
    {
        var recipe = Recipes.First(r => r.Name == "ubuntu-24.04-k8s-1.37");
        var spec = RenderingFixtures.DefaultSpec() with { Image = new ImageChoice(recipe.Name) };

        // up's marker (UpCommand) is the one the builder writes into the image.
        var golden = new TemplateUserData(RenderingFixtures.TemplateDirectory, BuilderDocument.MarkerFor(recipe)).Render(spec, null);
        var stock = new TemplateUserData(RenderingFixtures.TemplateDirectory).Render(spec with { Image = ImageChoice.Default }, null);
        foreach (var role in new[] { NodeRole.Master, NodeRole.Worker })
        {
            var env = RenderingFixtures.NodeEnv(CloudInitSchema.Decode(golden[role]));
            Assert.Equal(recipe.Hash, env["GOLDEN_RECIPE_HASH"]);
            Assert.Equal(recipe.KubernetesVersion.ToString(), env["GOLDEN_KUBERNETES_VERSION"]);
            Assert.Equal(string.Empty, RenderingFixtures.NodeEnv(CloudInitSchema.Decode(stock[role]))["GOLDEN_RECIPE_HASH"]);
        }
    }

    [Fact]
    public void The_recipes_packages_and_images_reach_the_builder_and_nodes_documents_carry_none()
    {
        var recipe = Recipes[0] with
        {
            Packages = ["jq", "htop=3.3.0-4build1"],
            PrePullImages = ["docker.io/library/busybox:1.36", "registry.k8s.io/pause:3.10.1"],
            PrePullControlPlane = false,
        };
        var document = BuilderDocument.Render(RenderingFixtures.Catalog, recipe, ImageTags.BakeName(recipe.Name, "0123abcd"), null);
        var recipeEnv = RenderingFixtures.Files(document.Text)["/etc/nodeimager/recipe.env"];
        Assert.Contains("RECIPE_PACKAGES=\"jq htop=3.3.0-4build1\"", recipeEnv);
        Assert.Contains("RECIPE_IMAGES=\"docker.io/library/busybox:1.36 registry.k8s.io/pause:3.10.1\"", recipeEnv);
        Assert.Contains("PRE_PULL_CONTROL_PLANE=\"false\"", recipeEnv);
        Assert.Contains("PRE_PULL_FLANNEL=\"true\"", recipeEnv);
        Assert.Null(Assert.Single(CloudInitSchema.Validate([document.Text])));
        Assert.NotEqual(Recipes[0].Hash, recipe.Hash);

        var nodes = new ClusterRenderer(RenderingFixtures.Catalog).Render(RenderingFixtures.DefaultSpec(), new RenderOptions(null));
        Assert.DoesNotContain("recipe.env", nodes.Master.Text);
        Assert.DoesNotContain("recipe.env", nodes.Worker.Text);
    }
}
