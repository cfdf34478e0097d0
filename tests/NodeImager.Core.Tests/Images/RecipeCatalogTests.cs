using NodeImager.Core.Configuration;
using NodeImager.Core.Images;

namespace NodeImager.Core.Tests.Images;

public sealed class RecipeCatalogTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("nodeimager-recipes-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string ShippedImages()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "NodeImager.sln")))
            {
                return Path.Combine(d.FullName, "images");
            }
        }

        throw new InvalidOperationException("repository root not found");
    }

    private (GoldenImageRecipe? Recipe, List<SpecProblem> Problems) Read(string yaml, string name = "test-recipe")
    {
        var path = Path.Combine(dir, name + ".yaml");
        File.WriteAllText(path, yaml);
        var problems = new List<SpecProblem>();
        return (RecipeCatalog.Read(path, problems), problems);
    }

    private const string Valid = "base: ubuntu-24.04\nkubernetesVersion: \"1.36\"\ninstanceType: t3.large\n";

    [Fact]
    public void Shipped_recipes_are_valid_and_cover_every_supported_ubuntu_release()
    {
        var problems = new List<SpecProblem>();
        var catalog = RecipeCatalog.Load(ShippedImages(), problems);

        Assert.Empty(problems);
        Assert.Contains(catalog.Recipes, r => r.Base == "ubuntu-24.04");
        Assert.Contains(catalog.Recipes, r => r.Base == "ubuntu-26.04");
        Assert.NotNull(catalog.Find("ubuntu-24.04-k8s-1.37"));
    }

    [Fact]
    public void A_minimal_recipe_gets_the_defaults()
    {
        var (recipe, problems) = Read(Valid);

        Assert.Empty(problems);
        Assert.Equal("test-recipe", recipe!.Name);
        Assert.True(recipe.Runtime.Docker);
        Assert.True(recipe.PrePullControlPlane);
        Assert.True(recipe.PrePullFlannel);
        Assert.Empty(recipe.Packages);
        Assert.Equal("1.36", recipe.KubernetesVersion.ToString());
    }

    [Fact]
    public void Unknown_field_names_file_line_and_field()
    {
        var (recipe, problems) = Read(Valid + "prePull:\n  flanel: true\n");

        Assert.Null(recipe);
        var problem = Assert.Single(problems);
        Assert.Equal("prePull:flanel", problem.Key);
        Assert.EndsWith("test-recipe.yaml:5:3", problem.Source);
        Assert.Contains("did you mean 'prePull:flannel'", problem.Problem);
    }

    [Fact]
    public void Missing_fields_are_each_reported()
    {
        var (recipe, problems) = Read("description: nothing else\n");

        Assert.Null(recipe);
        Assert.Equal(["base", "instanceType", "kubernetesVersion"], problems.Select(p => p.Key).Order());
        Assert.All(problems, p => Assert.Contains("missing required field", p.Problem));
    }

    [Theory]
    [InlineData("kubernetesVersion: \"1.30\"", "kubernetesVersion", "supported minors")]
    [InlineData("base: debian-12", "base", "source AMI id")]
    [InlineData("instanceType: huge", "instanceType", "EC2 instance type")]
    [InlineData("packages: [\"rm -rf /\"]", "packages", "Debian package name")]
    [InlineData("prePull:\n  images: [\"Not An Image\"]", "prePull:images", "container image reference")]
    [InlineData("runtime:\n  docker: perhaps", "runtime:docker", "true or false")]
    public void Bad_values_name_the_field_and_its_line(string line, string field, string expected)
    {
        var yaml = string.Join('\n', Valid.Split('\n').Where(l => !l.StartsWith(line.Split(':')[0] + ":", StringComparison.Ordinal))) + line + "\n";

        var (recipe, problems) = Read(yaml);

        Assert.Null(recipe);
        var problem = Assert.Single(problems);
        Assert.Equal(field, problem.Key);
        Assert.Contains(expected, problem.Problem);
        Assert.Matches(@"test-recipe\.yaml:\d+:\d+$", problem.Source);
    }

    [Fact]
    public void Malformed_yaml_is_a_problem_with_a_position()
    {
        var (recipe, problems) = Read("base: [unclosed\n");

        Assert.Null(recipe);
        Assert.Matches(@"test-recipe\.yaml(:\d+:\d+)?$", Assert.Single(problems).Source);
    }

    [Fact]
    public void The_hash_changes_with_what_the_image_holds_and_not_with_the_description()
    {
        var (a, _) = Read(Valid, "a");
        var (b, _) = Read("description: other words\n" + Valid, "b");
        var (c, _) = Read(Valid + "packages: [jq]\n", "c");

        Assert.Equal(a!.Hash, b!.Hash);
        Assert.NotEqual(a.Hash, c!.Hash);
        Assert.Matches("^[0-9a-f]{16}$", a.Hash);
    }

    [Fact]
    public void A_missing_folder_is_a_problem() =>
        Assert.Single(AddProblems(p => RecipeCatalog.Load(Path.Combine(dir, "nope"), p)));

    private static List<SpecProblem> AddProblems(Action<List<SpecProblem>> action)
    {
        var problems = new List<SpecProblem>();
        action(problems);
        return problems;
    }
}
