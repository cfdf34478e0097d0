using System.Text.RegularExpressions;

namespace NodeImager.Core.Remote;

/// <summary>
/// The operator-side files of one cluster: <c>$NODEIMAGER_HOME/clusters/NAME/</c> (default <c>~/.nodeimager</c>), a
/// folder only the operator may read (0700) because it holds the SSH private key and the admin kubeconfig.
/// </summary>
public sealed partial class ClusterFiles
{
    public const string HomeVariable = "NODEIMAGER_HOME";

    private ClusterFiles(string cluster, string directory)
    {
        Cluster = cluster;
        Directory = directory;
    }

    public string Cluster { get; }

    public string Directory { get; }

    /// <summary>Host keys seen on first contact with each node (OpenSSH known_hosts format, usable with <c>ssh -o UserKnownHostsFile=</c>).</summary>
    public string KnownHosts => Path.Combine(Directory, "known_hosts");

    /// <summary>The admin kubeconfig, pointing at the master's public endpoint.</summary>
    public string Kubeconfig => Path.Combine(Directory, "kubeconfig");

    /// <summary>The folder for <paramref name="cluster"/> under the home given by the environment (NODEIMAGER_HOME, else ~/.nodeimager).</summary>
    public static ClusterFiles For(string cluster, IReadOnlyDictionary<string, string> environment)
    {
        // The name becomes a path segment: refuse anything that could climb out of the clusters folder.
        if (!ClusterNamePattern().IsMatch(cluster))
        {
            throw new NodeImagerException(
                $"'{cluster}' is not a cluster name.",
                "Cluster names are 1-40 lower-case letters, digits and '-', starting with a letter.",
                ExitCodes.BadInput);
        }

        return new ClusterFiles(cluster, Path.Combine(Home(environment), "clusters", cluster));
    }

    public static string Home(IReadOnlyDictionary<string, string> environment)
    {
        if (environment.TryGetValue(HomeVariable, out var home) && !string.IsNullOrWhiteSpace(home))
        {
            return Path.GetFullPath(home);
        }

        return Path.Combine(UserHome(environment), ".nodeimager");
    }

    public static string UserHome(IReadOnlyDictionary<string, string> environment) =>
        environment.TryGetValue("HOME", out var home) && !string.IsNullOrWhiteSpace(home)
            ? home
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary>Creates the folder if needed and makes it private to the operator (0700).</summary>
    public void EnsureDirectory() => PrivateFiles.EnsureFolder(Directory);

    /// <summary>
    /// The cluster's SSH private key: <paramref name="explicitPath"/> when given, else the one OpenSSH/PEM private key
    /// file in the cluster folder (whatever `up` named it).
    /// </summary>
    public string PrivateKey(string? explicitPath = null)
    {
        if (explicitPath is not null)
        {
            if (!File.Exists(explicitPath))
            {
                throw new NodeImagerException($"The private key file '{explicitPath}' does not exist.", "Pass an existing OpenSSH private key with --identity.");
            }

            return Path.GetFullPath(explicitPath);
        }

        var candidates = System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.EnumerateFiles(Directory).Where(LooksLikePrivateKey).Order(StringComparer.Ordinal).ToList()
            : [];
        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw new NodeImagerException(
                $"No SSH private key for cluster '{Cluster}' in {Directory}.",
                $"Was the cluster created from this machine (nodeimager up --name {Cluster})? Otherwise pass the key with --identity FILE."),
            _ => throw new NodeImagerException(
                $"Several private keys in {Directory}: {string.Join(", ", candidates.Select(Path.GetFileName))}.",
                "Pick one with --identity FILE."),
        };
    }

    private static bool LooksLikePrivateKey(string path)
    {
        try
        {
            using var reader = new StreamReader(path);
            var first = reader.ReadLine();
            return first is not null && first.StartsWith("-----BEGIN ", StringComparison.Ordinal) && first.EndsWith("PRIVATE KEY-----", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")]
    private static partial Regex ClusterNamePattern();
}
