using NodeImager.Core.Configuration;
using NodeImager.Core.Images;
using NodeImager.Core.Model;
using NodeImager.Core.Rendering;

namespace NodeImager.Cli.Infrastructure;

/// <summary>A validated cluster description and the data files it refers to.</summary>
public sealed record LoadedCluster(ClusterSpec Spec, RecipeCatalog Recipes, GoldenImageRecipe? Recipe, TemplateCatalog Templates);

/// <summary>Loads everything a cluster command needs and reports every problem of every input at once (exit 2),
/// before any cloud call.</summary>
public static class ClusterLoader
{
    public static string ImagesDirectory(ClusterSettings settings, NodeImagerApp.HostEnvironment host) =>
        settings.Images
        ?? (host.Variables.TryGetValue("NODEIMAGER_IMAGES", out var fromEnv) && fromEnv.Length > 0 ? fromEnv : null)
        ?? Path.Combine(host.ToolDirectory, "images");

    public static LoadedCluster Load(ClusterSettings settings, NodeImagerApp.HostEnvironment host)
    {
        var problems = new List<SpecProblem>();
        var spec = ClusterSpecLoader.Load(settings.ToConfigInputs(host.Variables, host.WorkingDirectory), problems);
        var imagesDirectory = Path.GetFullPath(ImagesDirectory(settings, host), host.WorkingDirectory);
        var recipes = RecipeCatalog.Load(imagesDirectory, problems);

        GoldenImageRecipe? recipe = null;
        if (spec?.Image.Recipe is { } name)
        {
            recipe = recipes.Find(name);
            if (recipe is null)
            {
                var known = recipes.Recipes.Count == 0 ? "none" : string.Join(", ", recipes.Recipes.Select(r => r.Name));
                problems.Add(new SpecProblem(ConfigKeys.Image.Path, name, $"no golden-image recipe of that name in {imagesDirectory} (known: {known}); or use {string.Join(" or ", ImageChoice.StockReleases)}", "configuration"));
            }
            else if (recipe.KubernetesVersion.Minor != spec.KubernetesVersion.Minor)
            {
                problems.Add(new SpecProblem(ConfigKeys.KubernetesVersion.Path, spec.KubernetesVersion.ToString(), $"recipe {name} holds Kubernetes {recipe.KubernetesVersion}; pass --kubernetes-version {recipe.KubernetesVersion.Minor} or pick a recipe for {spec.KubernetesVersion.Minor}", "configuration"));
            }
        }

        var templatesDirectory = settings.Templates is { } dir ? Path.GetFullPath(dir, host.WorkingDirectory)
            : host.Variables.TryGetValue("NODEIMAGER_TEMPLATES", out var fromEnv) && fromEnv.Length > 0 ? Path.GetFullPath(fromEnv, host.WorkingDirectory)
            : TemplateCatalog.DefaultDirectory(host.ToolDirectory);
        var templates = TemplateCatalog.Load(templatesDirectory, problems);

        if (problems.Count > 0)
        {
            throw new SpecValidationException(problems);
        }

        return new LoadedCluster(spec!, recipes, recipe, templates);
    }
}
