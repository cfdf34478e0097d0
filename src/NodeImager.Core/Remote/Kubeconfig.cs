using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace NodeImager.Core.Remote;

/// <summary>
/// A kubeconfig document, edited as a YAML tree so fields we do not know (extensions, exec plugins, preferences)
/// survive a rewrite or a merge.
/// </summary>
public sealed class Kubeconfig
{
    private static readonly string[] Lists = ["clusters", "contexts", "users"];

    private readonly YamlMappingNode root;

    private Kubeconfig(YamlMappingNode root) => this.root = root;

    public static Kubeconfig Empty() => new(new YamlMappingNode(
        new YamlScalarNode("apiVersion"), new YamlScalarNode("v1"),
        new YamlScalarNode("kind"), new YamlScalarNode("Config"),
        new YamlScalarNode("clusters"), new YamlSequenceNode(),
        new YamlScalarNode("contexts"), new YamlSequenceNode(),
        new YamlScalarNode("users"), new YamlSequenceNode(),
        new YamlScalarNode("current-context"), new YamlScalarNode(string.Empty)));

    /// <summary>Parses a kubeconfig; <paramref name="source"/> names it in errors.</summary>
    public static Kubeconfig Parse(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new NodeImagerException($"{source} is not valid YAML: {e.Message}", "Fix or move the file, then try again.", inner: e);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return Empty();
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode mapping)
        {
            throw new NodeImagerException($"{source} is not a kubeconfig (its top level is not a mapping).", "Fix or move the file, then try again.");
        }

        return new Kubeconfig(mapping);
    }

    public string? CurrentContext => Scalar(root, "current-context");

    /// <summary>Names in one of the lists (clusters, contexts, users).</summary>
    public IReadOnlyList<string> Names(string list) => Entries(list).Select(e => Scalar(e, "name") ?? "").ToList();

    /// <summary>The server URL of the named cluster entry.</summary>
    public string? Server(string cluster) =>
        Entries("clusters").Where(e => Scalar(e, "name") == cluster).Select(e => Child(e, "cluster")).OfType<YamlMappingNode>()
            .Select(c => Scalar(c, "server")).FirstOrDefault();

    /// <summary>The (cluster, user) a context points at.</summary>
    public (string? Cluster, string? User) Context(string context) =>
        Entries("contexts").Where(e => Scalar(e, "name") == context).Select(e => Child(e, "context")).OfType<YamlMappingNode>()
            .Select(c => (Scalar(c, "cluster"), Scalar(c, "user"))).FirstOrDefault();

    /// <summary>
    /// Turns kubeadm's admin.conf (one cluster, one user, one context) into the operator's: the server is
    /// <paramref name="server"/>, and cluster, user and context are all named <paramref name="name"/>.
    /// </summary>
    public Kubeconfig ForOperator(string name, string server)
    {
        var clusters = Entries("clusters");
        var users = Entries("users");
        if (clusters.Count != 1 || users.Count != 1 || Child(clusters[0], "cluster") is not YamlMappingNode cluster)
        {
            throw new NodeImagerException(
                $"The master's admin.conf has {clusters.Count} cluster(s) and {users.Count} user(s); expected exactly one of each, as kubeadm writes it.",
                "Look at /etc/kubernetes/admin.conf on the master (nodeimager ssh NAME -- sudo cat /etc/kubernetes/admin.conf).");
        }

        Set(cluster, "server", server);
        Set(clusters[0], "name", name);
        Set(users[0], "name", name);
        var context = new YamlMappingNode(
            new YamlScalarNode("context"), new YamlMappingNode(
                new YamlScalarNode("cluster"), new YamlScalarNode(name),
                new YamlScalarNode("user"), new YamlScalarNode(name)),
            new YamlScalarNode("name"), new YamlScalarNode(name));
        root.Children[new YamlScalarNode("contexts")] = new YamlSequenceNode(context);
        Set(root, "current-context", name);
        return this;
    }

    /// <summary>
    /// Adds every cluster, context and user of <paramref name="other"/>, replacing entries with the same names and
    /// keeping all others; <paramref name="other"/>'s current context becomes the current one.
    /// </summary>
    public Kubeconfig Merge(Kubeconfig other)
    {
        foreach (var list in Lists)
        {
            var incoming = other.Entries(list);
            var names = incoming.Select(e => Scalar(e, "name")).ToHashSet();
            var merged = new YamlSequenceNode(Entries(list).Where(e => !names.Contains(Scalar(e, "name"))).Concat(incoming));
            root.Children[new YamlScalarNode(list)] = merged;
        }

        if (other.CurrentContext is { Length: > 0 } current)
        {
            Set(root, "current-context", current);
        }

        return this;
    }

    // The serializer writes a YamlNode as itself (it is IYamlConvertible), without YamlStream's '...' end marker.
    public override string ToString() => new SerializerBuilder().Build().Serialize(root);

    /// <summary>Writes the file readable by its owner only (0600), replacing any old one in one step.</summary>
    public void Save(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
        {
            // A folder that is there (~/.kube) keeps its mode; a new one is private.
            PrivateFiles.EnsureFolder(directory);
        }

        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        PrivateFiles.Write(temporary, ToString());
        File.Move(temporary, full, overwrite: true);
    }

    private List<YamlMappingNode> Entries(string list) =>
        Child(root, list) is YamlSequenceNode sequence ? sequence.Children.OfType<YamlMappingNode>().ToList() : [];

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Scalar(YamlMappingNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    private static void Set(YamlMappingNode node, string key, string value) =>
        node.Children[new YamlScalarNode(key)] = new YamlScalarNode(value);
}
