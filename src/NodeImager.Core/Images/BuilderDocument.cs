using NodeImager.Core.Model;
using NodeImager.Core.Rendering;

namespace NodeImager.Core.Images;

/// <summary>The builder's user-data: the renderer's image-build document, from the same template partials nodes use,
/// for a spec derived from the recipe (Kubernetes version, runtime) and the recipe's marker.</summary>
public static class BuilderDocument
{
    /// <summary>The spec a builder is rendered from: only what the install steps read matters; the CIDRs are the
    /// defaults and are never used by a builder.</summary>
    public static ClusterSpec SpecFor(GoldenImageRecipe recipe, string bake) => new()
    {
        Name = bake,
        KubernetesVersion = recipe.KubernetesVersion,
        InstanceTypes = new InstanceTypes(recipe.InstanceType, recipe.InstanceType),
        PodCidr = Cidr.Parse("10.244.0.0/16"),
        ServiceCidr = Cidr.Parse("10.96.0.0/12"),
        Runtime = recipe.Runtime,
        Firewall = false,
        Image = new ImageChoice(recipe.Name),
    };

    public static GoldenImageMarker MarkerFor(GoldenImageRecipe recipe) =>
        new(recipe.Name, recipe.Hash, recipe.KubernetesVersion.ToString());

    public static ImageBuildContent ContentOf(GoldenImageRecipe recipe) =>
        new(recipe.Packages, recipe.PrePullImages, recipe.PrePullControlPlane, recipe.PrePullFlannel);

    public static RenderedDocument Render(TemplateCatalog templates, GoldenImageRecipe recipe, string bake, DateTimeOffset? expiresAt) =>
        new ClusterRenderer(templates).Render(SpecFor(recipe, bake), new RenderOptions(expiresAt, MarkerFor(recipe), ContentOf(recipe))).ImageBuild;
}
