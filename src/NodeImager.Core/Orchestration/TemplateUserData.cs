using NodeImager.Core.Model;
using NodeImager.Core.Rendering;

namespace NodeImager.Core.Orchestration;

/// <summary>User-data from the templates (<see cref="ClusterRenderer"/>), with the cluster's expiry and, when nodes
/// boot from a golden image, the marker they compare before skipping the install.</summary>
public sealed class TemplateUserData(string templatesDirectory, GoldenImageMarker? golden = null) : IUserDataSource
{
    public IReadOnlyDictionary<NodeRole, byte[]> Render(ClusterSpec spec, DateTimeOffset? expiresAt)
    {
        var rendered = new ClusterRenderer(TemplateCatalog.LoadOrThrow(templatesDirectory)).Render(spec, new RenderOptions(expiresAt, golden));
        return new Dictionary<NodeRole, byte[]>
        {
            [NodeRole.Master] = rendered.For(NodeRole.Master).UserData,
            [NodeRole.Worker] = rendered.For(NodeRole.Worker).UserData,
        };
    }
}
