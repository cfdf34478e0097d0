namespace NodeImager.Core.Orchestration;

/// <summary>The operator's local files per cluster (<c>$NODEIMAGER_HOME</c> or <c>~/.nodeimager</c>, then
/// <c>clusters/NAME</c>): only the private key, which AWS shows once. Everything else is found through tags.</summary>
public sealed class ClusterFolders(string home)
{
    public string Home { get; } = home;

    /// <summary>The same home as <see cref="Remote.ClusterFiles"/> (ssh, logs, kubeconfig): one rule for where it is.</summary>
    public static ClusterFolders FromEnvironment(IReadOnlyDictionary<string, string> variables) =>
        new(Remote.ClusterFiles.Home(variables));

    public string ClusterFolder(string cluster) => Path.Combine(Home, "clusters", cluster);

    /// <summary>Writes the key readable by the owner only (ssh refuses keys others can read); the folder is 0700.</summary>
    public string SavePrivateKey(string cluster, string keyType, string privateKey)
    {
        var folder = ClusterFolder(cluster);
        Remote.PrivateFiles.EnsureFolder(folder);
        var path = Path.Combine(folder, $"id_{keyType}");
        Remote.PrivateFiles.Write(path, privateKey.EndsWith('\n') ? privateKey : privateKey + "\n");
        return path;
    }

    /// <summary>True when there was a folder to remove.</summary>
    public bool Remove(string cluster)
    {
        var folder = ClusterFolder(cluster);
        if (!Directory.Exists(folder))
        {
            return false;
        }

        Directory.Delete(folder, recursive: true);
        return true;
    }
}
