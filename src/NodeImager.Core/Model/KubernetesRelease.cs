using System.Globalization;
using System.Text.RegularExpressions;

namespace NodeImager.Core.Model;

/// <summary>One supported Kubernetes minor and what a node needs to run it.</summary>
/// <param name="Minor">e.g. "1.37".</param>
/// <param name="KubeadmApiVersion">The kubeadm config API every document uses for this minor.</param>
/// <param name="PauseImage">The sandbox image kubeadm expects; pinned in containerd's config. Nodes cross-check it
/// against <c>kubeadm config images list</c> at boot and report a mismatch.</param>
/// <param name="MinContainerdMajor">1.36+ need containerd 2.x (config version 3).</param>
public sealed record KubernetesRelease(string Minor, string KubeadmApiVersion, string PauseImage, int MinContainerdMajor);

/// <summary>The one table of supported Kubernetes minors (upstream patches the three newest).</summary>
public static partial class KubernetesReleases
{
    public static IReadOnlyList<KubernetesRelease> Supported { get; } =
    [
        new("1.35", "kubeadm.k8s.io/v1beta4", "registry.k8s.io/pause:3.10.1", 1),
        new("1.36", "kubeadm.k8s.io/v1beta4", "registry.k8s.io/pause:3.10.1", 2),
        new("1.37", "kubeadm.k8s.io/v1beta4", "registry.k8s.io/pause:3.10.1", 2),
    ];

    public static KubernetesRelease Newest => Supported[^1];

    /// <summary>Flannel release applied by masters; its manifest's Network is rewritten to the pod CIDR.</summary>
    public const string FlannelVersion = "v0.27.4";

    public static string SupportedList => string.Join(", ", Supported.Select(r => r.Minor));

    [GeneratedRegex(@"^v?(?<minor>1\.\d{1,3})(\.(?<patch>\d{1,3}))?$")]
    private static partial Regex VersionPattern();

    /// <summary>Parses "1.37", "v1.37" or "1.37.2"; null when malformed or unsupported.</summary>
    public static KubernetesVersion? TryParse(string? text)
    {
        var match = VersionPattern().Match(text?.Trim() ?? string.Empty);
        if (!match.Success)
        {
            return null;
        }

        var release = Supported.FirstOrDefault(r => r.Minor == match.Groups["minor"].Value);
        if (release is null)
        {
            return null;
        }

        int? patch = match.Groups["patch"].Success ? int.Parse(match.Groups["patch"].Value, CultureInfo.InvariantCulture) : null;
        return new KubernetesVersion(release, patch);
    }
}

/// <summary>A supported minor, with the patch pinned when the user gave one (otherwise the node resolves the newest
/// patch of the minor at boot and reports it).</summary>
public sealed record KubernetesVersion(KubernetesRelease Release, int? Patch)
{
    public string Minor => Release.Minor;

    /// <summary>"1.37.2" when pinned, "1.37" otherwise.</summary>
    public override string ToString() => Patch is { } p ? $"{Release.Minor}.{p}" : Release.Minor;

    /// <summary>The pkgs.k8s.io package version ("1.37.2-1.1") when pinned; empty means "newest of the minor".</summary>
    public string PackageVersion => Patch is { } p ? $"{Release.Minor}.{p}-1.1" : string.Empty;
}
