using System.Globalization;
using NodeImager.Core.Model;
using Scriban;
using Scriban.Runtime;

namespace NodeImager.Core.Rendering;

/// <summary>Turns a <see cref="ClusterSpec"/> into the cloud-init documents for the master, the workers and the
/// golden-image builder. Rendering is pure: no clock, no network; the same inputs give the same bytes.</summary>
public sealed class ClusterRenderer(TemplateCatalog catalog)
{
    /// <summary>Ports each role opens in firewalld; flannel's VXLAN (8472/udp) on both.</summary>
    public static IReadOnlyDictionary<string, string> FirewallPorts { get; } = new Dictionary<string, string>
    {
        ["master"] = "6443/tcp 2379-2380/tcp 10250/tcp 10257/tcp 10259/tcp 8472/udp",
        ["worker"] = "10250/tcp 10256/tcp 30000-32767/tcp 8472/udp",
        ["builder"] = string.Empty,
    };

    public RenderedCluster Render(ClusterSpec spec, RenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        var master = RenderedDocument.FromText("master", Render("master.yaml", Model(spec, options, "master")));
        var worker = RenderedDocument.FromText("worker", Render("worker.yaml", Model(spec, options, "worker")));
        var build = RenderedDocument.FromText("image-build", Render("image-build.yaml", Model(spec, options, "builder")));
        return new RenderedCluster(master, worker, build, KubeadmPreview(spec, options));
    }

    /// <summary>The kubeadm config as the master writes it at boot, with the boot-time values shown as placeholders.</summary>
    private string KubeadmPreview(ClusterSpec spec, RenderOptions options)
    {
        var version = spec.KubernetesVersion.Patch is null ? $"v{spec.KubernetesVersion.Minor}.<newest patch at boot>" : $"v{spec.KubernetesVersion}";
        return Render("partials/kubeadm-init.yaml", Model(spec, options, "master"))
            .Replace("@TOKEN@", "<generated at boot by kubeadm token generate>", StringComparison.Ordinal)
            .Replace("  - \"@CERT_SANS@\"", "  - \"<private-ip>\"\n  - \"<hostname>\"\n  - \"<public-ip, when the node has one>\"", StringComparison.Ordinal)
            .Replace("@PRIVATE_IP@", "<private-ip>", StringComparison.Ordinal)
            .Replace("@HOSTNAME@", "<hostname>", StringComparison.Ordinal)
            .Replace("@KUBERNETES_VERSION@", version, StringComparison.Ordinal);
    }

    private string Render(string name, ScriptObject model)
    {
        var context = new TemplateContext
        {
            TemplateLoader = new TemplateCatalog.Loader(catalog),
            StrictVariables = true,
            NewLine = "\n",
        };
        context.PushGlobal(model);
        var text = catalog.Get(name).Render(context);
        return text.ReplaceLineEndings("\n");
    }

    private static ScriptObject Model(ClusterSpec spec, RenderOptions options, string role)
    {
        var release = spec.KubernetesVersion.Release;
        var golden = options.Golden;
        var build = options.Build ?? ImageBuildContent.None;
        var model = new ScriptObject
        {
            ["role"] = role,
            ["cluster_name"] = spec.Name,
            ["kubernetes_version"] = spec.KubernetesVersion.ToString(),
            ["kubernetes_minor"] = release.Minor,
            ["package_version"] = spec.KubernetesVersion.PackageVersion,
            ["kubeadm_api_version"] = release.KubeadmApiVersion,
            // config.toml is written as version 3, which only containerd 2.x reads.
            ["min_containerd_major"] = Math.Max(release.MinContainerdMajor, 2),
            ["sandbox_image"] = spec.Runtime.SandboxImage ?? release.PauseImage,
            ["flannel_version"] = KubernetesReleases.FlannelVersion,
            ["pod_cidr"] = spec.PodCidr.ToString(),
            ["service_cidr"] = spec.ServiceCidr.ToString(),
            ["docker"] = spec.Runtime.Docker ? "true" : "false",
            ["firewall"] = spec.Firewall && role != "builder" ? "true" : "false",
            ["firewall_ports"] = FirewallPorts[role],
            ["join_parameter"] = ClusterNaming.JoinParameter(spec.Name),
            ["status_path"] = ClusterNaming.StatusPath(spec.Name),
            ["join_timeout_seconds"] = ((long)spec.JoinTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            ["expires_at"] = options.ExpiresAt?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? string.Empty,
            ["expires_at_calendar"] = options.ExpiresAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? string.Empty,
            ["golden_recipe"] = golden?.Recipe ?? spec.Image.Recipe ?? string.Empty,
            ["golden_recipe_hash"] = golden?.RecipeHash ?? string.Empty,
            ["golden_kubernetes_version"] = golden?.KubernetesVersion ?? string.Empty,
            ["recipe_packages"] = string.Join(' ', build.Packages),
            ["recipe_images"] = string.Join(' ', build.PrePullImages),
            ["pre_pull_control_plane"] = build.PrePullControlPlane ? "true" : "false",
            ["pre_pull_flannel"] = build.PrePullFlannel ? "true" : "false",
        };
        model.Import("indent", new Func<string, int, string>(Indent));
        return model;
    }

    /// <summary>Indents every non-empty line, so a partial can sit inside a YAML block scalar.</summary>
    private static string Indent(string text, int width)
    {
        var pad = new string(' ', width);
        var lines = text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        return string.Join('\n', lines.Select(line => line.Length == 0 ? line : pad + line));
    }
}
