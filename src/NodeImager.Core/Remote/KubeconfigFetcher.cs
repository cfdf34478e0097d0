using System.Text;

namespace NodeImager.Core.Remote;

/// <summary>Where <see cref="KubeconfigFetcher"/> wrote the kubeconfig.</summary>
/// <param name="ClusterKubeconfig">clusters/NAME/kubeconfig (always written).</param>
/// <param name="MergedInto">The kubeconfig file the entry was merged into, when asked to merge.</param>
public sealed record FetchedKubeconfig(string ClusterKubeconfig, string? MergedInto);

/// <summary>
/// Fetches kubeadm's /etc/kubernetes/admin.conf from the master and turns it into the operator's kubeconfig:
/// server = the master's public endpoint, cluster/user/context named after the cluster, written 0600 under
/// clusters/NAME/kubeconfig and, on request, merged into ~/.kube/config (or the file KUBECONFIG points at).
/// </summary>
public static class KubeconfigFetcher
{
    public const string AdminConfPath = "/etc/kubernetes/admin.conf";

    /// <param name="master">How to reach the master over SSH.</param>
    /// <param name="publicEndpoint">The API address the operator can reach: <c>host:6443</c> or <c>https://host:6443</c>.</param>
    /// <param name="files">The cluster's folder; its name names the kubeconfig entries.</param>
    /// <param name="merge">Also merge into the user's kubeconfig.</param>
    /// <param name="environment">Process environment: KUBECONFIG and HOME decide which file is merged into.</param>
    /// <param name="cancellationToken">Stops the SSH work.</param>
    public static async Task<FetchedKubeconfig> FetchAsync(
        NodeEndpoint master, string publicEndpoint, ClusterFiles files, bool merge, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        byte[]? adminConf;
        using (var shell = await NodeShell.ConnectAsync(master, cancellationToken).ConfigureAwait(false))
        {
            adminConf = await shell.ReadPrivilegedFileAsync(AdminConfPath, cancellationToken).ConfigureAwait(false);
        }

        if (adminConf is null)
        {
            throw new NodeImagerException(
                $"{AdminConfPath} does not exist on the master ({master.Display}) yet.",
                "kubeadm init has not finished. Follow it with `nodeimager logs NAME`, then try again.");
        }

        return Write(Encoding.UTF8.GetString(adminConf), publicEndpoint, files, merge, environment);
    }

    /// <summary>The offline half of <see cref="FetchAsync"/>: rewrite, write and optionally merge an admin.conf.</summary>
    public static FetchedKubeconfig Write(string adminConf, string publicEndpoint, ClusterFiles files, bool merge, IReadOnlyDictionary<string, string> environment)
    {
        var kubeconfig = Kubeconfig.Parse(adminConf, $"{AdminConfPath} from the master").ForOperator(files.Cluster, ServerUrl(publicEndpoint));
        files.EnsureDirectory();
        kubeconfig.Save(files.Kubeconfig);
        if (!merge)
        {
            return new FetchedKubeconfig(files.Kubeconfig, null);
        }

        var target = UserKubeconfigPath(environment);
        var existing = File.Exists(target) ? Kubeconfig.Parse(File.ReadAllText(target), target) : Kubeconfig.Empty();
        existing.Merge(kubeconfig).Save(target);
        return new FetchedKubeconfig(files.Kubeconfig, target);
    }

    /// <summary><c>https://host:port</c> from <c>host:port</c>, <c>host</c> (port 6443) or a full URL.</summary>
    public static string ServerUrl(string publicEndpoint)
    {
        var endpoint = publicEndpoint.Trim();
        if (!endpoint.Contains("://", StringComparison.Ordinal))
        {
            endpoint = "https://" + endpoint;
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || uri.Host.Length == 0
            || uri.AbsolutePath != "/" || uri.Query.Length > 0)
        {
            throw new ArgumentException($"'{publicEndpoint}' is not an API endpoint like 203.0.113.7:6443.", nameof(publicEndpoint));
        }

        var port = endpoint.AsSpan(endpoint.IndexOf("://", StringComparison.Ordinal) + 3).Contains(':') ? uri.Port : 6443;
        return $"https://{uri.Host}:{port}";
    }

    /// <summary>
    /// The file kubectl would write a new entry to: KUBECONFIG's only file, else its first existing file, else its
    /// last; without KUBECONFIG, ~/.kube/config.
    /// </summary>
    public static string UserKubeconfigPath(IReadOnlyDictionary<string, string> environment)
    {
        if (environment.TryGetValue("KUBECONFIG", out var variable) && !string.IsNullOrWhiteSpace(variable))
        {
            var files = variable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (files.Length > 0)
            {
                return files.Length == 1 ? files[0] : files.FirstOrDefault(File.Exists) ?? files[^1];
            }
        }

        return Path.Combine(ClusterFiles.UserHome(environment), ".kube", "config");
    }
}
