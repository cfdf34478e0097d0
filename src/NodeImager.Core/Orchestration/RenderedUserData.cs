using NodeImager.Core.Configuration;
using NodeImager.Core.Model;
using NodeImager.Core.Rendering;

namespace NodeImager.Core.Orchestration;

/// <summary>
/// Node user-data from the renderer (templates/), with the cluster's expiry and, when nodes boot a golden image, the
/// marker they compare with /etc/nodeimager/golden.json before skipping the install.
/// </summary>
/// <param name="templatesDirectory">The template folder (templates/ beside the tool, --templates or NODEIMAGER_TEMPLATES).</param>
/// <param name="golden">The recipe's name, hash and the spec's Kubernetes version; null for stock images.</param>
public sealed class RenderedUserData(string templatesDirectory, GoldenImageMarker? golden) : IUserDataSource
{
    public string TemplatesDirectory { get; } = templatesDirectory;

    public GoldenImageMarker? Golden { get; } = golden;

    public IReadOnlyDictionary<NodeRole, byte[]> Render(ClusterSpec spec, DateTimeOffset? expiresAt)
    {
        var problems = new List<SpecProblem>();
        var templates = TemplateCatalog.Load(TemplatesDirectory, problems);
        if (problems.Count > 0)
        {
            throw new SpecValidationException(problems);
        }

        var rendered = new ClusterRenderer(templates).Render(spec, new RenderOptions(expiresAt, Golden));
        return new Dictionary<NodeRole, byte[]>
        {
            [NodeRole.Master] = rendered.Master.UserData,
            [NodeRole.Worker] = rendered.Worker.UserData,
        };
    }

    /// <summary>What a node booting the recipe's image expects: the spec's version, so an image holding another
    /// patch than an exact --kubernetes-version asks for does not match and the node installs as a stock node.</summary>
    public static GoldenImageMarker? MarkerFor(Images.GoldenImageRecipe? recipe, ClusterSpec spec) =>
        recipe is null ? null : new GoldenImageMarker(recipe.Name, recipe.Hash, spec.KubernetesVersion.ToString());
}
