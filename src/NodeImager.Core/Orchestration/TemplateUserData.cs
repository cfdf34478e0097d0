using System.Text;
using NodeImager.Core.Model;

namespace NodeImager.Core.Orchestration;

/// <summary>User-data from the templates in <c>templates/</c> (the ClusterRenderer), with the cluster's expiry.</summary>
public sealed class TemplateUserData(string templatesDirectory) : IUserDataSource
{
    public string TemplatesDirectory { get; } = templatesDirectory;

    public IReadOnlyDictionary<NodeRole, byte[]> Render(ClusterSpec spec, DateTimeOffset? expiresAt)
    {
        // Placeholder until the renderer lands on main: a minimal valid cloud-config per role.
        var documents = new Dictionary<NodeRole, byte[]>();
        foreach (var role in new[] { NodeRole.Master, NodeRole.Worker })
        {
            documents[role] = Encoding.UTF8.GetBytes($"#cloud-config\n# nodeimager {spec.Name} {role.Name()}\n");
        }

        return documents;
    }
}
