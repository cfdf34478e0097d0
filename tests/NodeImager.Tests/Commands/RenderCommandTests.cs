using NodeImager.Cli.Infrastructure;
using Spectre.Console.Testing;

namespace NodeImager.Tests.Commands;

public sealed class RenderCommandTests : IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("nodeimager-render-cmd-");

    private static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "NodeImager.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("NodeImager.sln not found");
        }
    }

    public void Dispose() => work.Delete(recursive: true);

    [Fact]
    public async Task Render_writes_every_document_the_preview_and_the_summary()
    {
        var (code, output) = await RunAsync("render", "--workers", "3", "--out", "out");

        Assert.True(code == 0, output);
        var outDir = Path.Combine(work.FullName, "out");
        foreach (var name in new[] { "master.yaml", "worker.yaml", "image-build.yaml" })
        {
            var text = await File.ReadAllTextAsync(Path.Combine(outDir, name));
            Assert.StartsWith("#cloud-config\n", text, StringComparison.Ordinal);
        }

        Assert.Contains("kind: ClusterConfiguration", await File.ReadAllTextAsync(Path.Combine(outDir, "kubeadm-config.yaml")), StringComparison.Ordinal);
        var summary = await File.ReadAllTextAsync(Path.Combine(outDir, "summary.txt"));
        Assert.Contains("kubernetes: 1.37 (newest patch at boot)", summary, StringComparison.Ordinal);
        Assert.Contains("workers: 3", summary, StringComparison.Ordinal);
        Assert.Contains("pause image: registry.k8s.io/pause:3.10.1", summary, StringComparison.Ordinal);
        Assert.Contains("flannel: v0.27.4", summary, StringComparison.Ordinal);
        Assert.Contains("config version 3", summary, StringComparison.Ordinal);
        Assert.Matches(@"master: \d+ of 16384 bytes", summary);
        Assert.Contains("image-build", output, StringComparison.Ordinal);

        // render computes the expiry from the TTL (default 8h): the dead-man switch is in every document.
        var master = await File.ReadAllTextAsync(Path.Combine(outDir, "master.yaml"));
        Assert.Contains("--on-calendar=", master, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_template_folder_missing_a_template_is_bad_input_naming_it()
    {
        var templates = Path.Combine(work.FullName, "my-templates");
        CopyFolder(Path.Combine(RepositoryRoot, "templates"), templates);
        File.Delete(Path.Combine(templates, "partials", "worker.sh"));

        var (code, output) = await RunAsync("render", "--templates", "my-templates", "--pod-cidr", "10.96.1.0/24", "--out", "out");

        Assert.Equal(2, code);
        Assert.Contains("partials/worker.sh", output, StringComparison.Ordinal);
        // The spec's own problem (pod CIDR overlapping the service network) is reported in the same run.
        Assert.Contains("overlaps", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(work.FullName, "out")));
    }

    [Fact]
    public async Task A_complete_template_folder_overrides_the_shipped_one()
    {
        var templates = Path.Combine(work.FullName, "my-templates");
        CopyFolder(Path.Combine(RepositoryRoot, "templates"), templates);
        var master = Path.Combine(templates, "master.yaml");
        await File.WriteAllTextAsync(master, (await File.ReadAllTextAsync(master)).Replace("# NodeImager control plane", "# Site-local control plane", StringComparison.Ordinal));

        var (code, output) = await RunAsync("render", "--templates", "my-templates", "--out", "out");

        Assert.True(code == 0, output);
        Assert.Contains("# Site-local control plane", await File.ReadAllTextAsync(Path.Combine(work.FullName, "out", "master.yaml")), StringComparison.Ordinal);
    }

    private async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(200);
        var host = new NodeImagerApp.HostEnvironment(new Dictionary<string, string>(), work.FullName, RepositoryRoot);
        var app = NodeImagerApp.Create(console, null, host);
        var code = await app.RunAsync(args);
        return (code, console.Output);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
