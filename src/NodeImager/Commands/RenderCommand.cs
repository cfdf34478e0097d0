using System.ComponentModel;
using System.Globalization;
using System.Text;
using NodeImager.Cli.Infrastructure;
using NodeImager.Core.Model;
using NodeImager.Core.Rendering;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Commands;

/// <summary>Renders every document offline: no AWS call, no credentials.</summary>
public sealed class RenderCommand(IAnsiConsole console, NodeImagerApp.HostEnvironment host) : AsyncCommand<RenderCommand.Settings>
{
    public sealed class Settings : ClusterSettings
    {
        [CommandOption("--out <DIR>")]
        [Description("Folder to write the documents, the kubeadm config and the summary into. Default: out.")]
        public string Out { get; init; } = "out";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // Spec, recipe and template problems are reported together (ClusterLoader), so one run shows everything to fix.
        var loaded = ClusterLoader.Load(settings, host);
        var spec = loaded.Spec;
        var catalog = loaded.Templates;
        var templates = catalog.Directory;

        // The same expiry `up` would give: now + TTL, so the rendered dead-man switch is realistic.
        DateTimeOffset? expiresAt = spec.Ttl is { } ttl ? DateTimeOffset.UtcNow.Add(ttl) : null;
        var rendered = new ClusterRenderer(catalog).Render(spec, new RenderOptions(expiresAt));

        var outDir = Path.GetFullPath(Path.Combine(host.WorkingDirectory, settings.Out));
        Directory.CreateDirectory(outDir);
        foreach (var document in rendered.Documents)
        {
            await File.WriteAllTextAsync(Path.Combine(outDir, document.Name + ".yaml"), document.Text, cancellationToken);
        }

        await File.WriteAllTextAsync(Path.Combine(outDir, "kubeadm-config.yaml"), rendered.KubeadmConfigPreview, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outDir, "summary.txt"), Summary(spec, rendered, expiresAt, templates), cancellationToken);

        var table = new Table().AddColumns("Document", "User-data bytes", "Limit", "Encoding");
        foreach (var document in rendered.Documents)
        {
            table.AddRow(document.Name, document.UserData.Length.ToString(CultureInfo.InvariantCulture), RenderedDocument.MaxUserDataBytes.ToString(CultureInfo.InvariantCulture), document.Gzipped ? "gzip" : "plain");
        }

        console.MarkupLine($"Cluster [bold]{Markup.Escape(spec.Name)}[/]: Kubernetes {Markup.Escape(VersionText(spec))}, {spec.Masters} master(s), {spec.Workers} worker(s).");
        console.Write(table);
        console.MarkupLine($"Wrote master.yaml, worker.yaml, image-build.yaml, kubeadm-config.yaml and summary.txt to [bold]{Markup.Escape(outDir)}[/].");
        return 0;
    }

    private static string VersionText(ClusterSpec spec) =>
        spec.KubernetesVersion.Patch is null ? $"{spec.KubernetesVersion.Minor} (newest patch at boot)" : $"{spec.KubernetesVersion} (pinned)";

    private static string Summary(ClusterSpec spec, RenderedCluster rendered, DateTimeOffset? expiresAt, string templates)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"cluster: {spec.Name}\n");
        text.Append(CultureInfo.InvariantCulture, $"kubernetes: {VersionText(spec)}\n");
        text.Append(CultureInfo.InvariantCulture, $"workers: {spec.Workers} (all share worker.yaml)\n");
        text.Append(CultureInfo.InvariantCulture, $"pod network: {spec.PodCidr}; service network: {spec.ServiceCidr}\n");
        text.Append(CultureInfo.InvariantCulture, $"pause image: {spec.Runtime.SandboxImage ?? spec.KubernetesVersion.Release.PauseImage}\n");
        text.Append(CultureInfo.InvariantCulture, $"flannel: {KubernetesReleases.FlannelVersion}\n");
        text.Append("containerd: config version 3 (containerd 2.x), SystemdCgroup = true\n");
        text.Append(CultureInfo.InvariantCulture, $"docker engine: {(spec.Runtime.Docker ? "installed" : "not installed")}; firewalld: {(spec.Firewall ? "on" : "off")}\n");
        text.Append(CultureInfo.InvariantCulture, $"expires at: {(expiresAt is { } at ? at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : "never")}\n");
        text.Append(CultureInfo.InvariantCulture, $"templates: {templates}\n");
        foreach (var document in rendered.Documents)
        {
            text.Append(CultureInfo.InvariantCulture, $"{document.Name}: {document.UserData.Length} of {RenderedDocument.MaxUserDataBytes} bytes, {(document.Gzipped ? $"gzipped ({document.TextBytes} bytes plain)" : "plain text")}\n");
        }

        return text.ToString();
    }
}
