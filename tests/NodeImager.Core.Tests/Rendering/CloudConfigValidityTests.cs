using System.Text.Json;

namespace NodeImager.Core.Tests.Rendering;

/// <summary>Every matrix document judged by the real tools: cloud-init's schema and shellcheck.</summary>
public sealed class CloudConfigValidityTests
{
    [Fact]
    public void Every_matrix_document_passes_cloud_init_schema()
    {
        var documents = RenderMatrix.DistinctDocuments;
        var results = CloudInitSchema.Validate(documents.Select(d => d.Document.Text).ToList());

        var rejected = documents.Zip(results).Where(x => x.Second is not null).Select(x => $"{x.First.Label}: {x.Second}").ToList();
        Assert.True(rejected.Count == 0, string.Join("\n", rejected));
        Assert.True(documents.Count >= 3 * KubernetesReleasesCount, $"expected distinct documents per minor, got {documents.Count}");
    }

    [Fact]
    public void The_validator_rejects_a_broken_document()
    {
        // A write_files entry without its required path: cloud-init would skip the file and the node would break.
        var good = RenderMatrix.Cases[0].Rendered.Worker.Text;
        var broken = good.Replace("  - path: /etc/nodeimager/node.env", "  - paht: /etc/nodeimager/node.env", StringComparison.Ordinal);
        Assert.NotEqual(good, broken);

        var results = CloudInitSchema.Validate([good, broken]);
        Assert.Null(results[0]);
        Assert.Contains("path", results[1]!, StringComparison.Ordinal);

        var (code, output) = CloudInitSchema.Cli(broken);
        Assert.True(code == 1, $"cloud-init schema accepted the broken document ({code}): {output}");
    }

    [Fact]
    public void The_real_cloud_init_cli_accepts_the_default_documents()
    {
        var spec = RenderingFixtures.DefaultSpec();
        var rendered = new Core.Rendering.ClusterRenderer(RenderingFixtures.Catalog).Render(spec, new Core.Rendering.RenderOptions(RenderingFixtures.FixedExpiry));
        foreach (var document in rendered.Documents)
        {
            var (code, output) = CloudInitSchema.Cli(document.Text);
            Assert.True(code == 0, $"{document.Name}: {output}");
            Assert.Contains("Valid schema", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Cloud_init_reads_gzipped_user_data_back_to_the_document()
    {
        var document = RenderMatrix.Cases[0].Rendered.Master;
        Assert.True(document.Gzipped, "the master document is expected to need gzip");
        Assert.Equal(document.Text, CloudInitSchema.Decode(document.UserData));
    }

    [Fact]
    public void Every_embedded_script_passes_shellcheck()
    {
        var scripts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (label, document) in RenderMatrix.DistinctDocuments)
        {
            foreach (var (path, content) in RenderingFixtures.Files(document.Text).Where(f => f.Key.EndsWith(".sh", StringComparison.Ordinal)))
            {
                scripts.TryAdd(content, $"{path} in {label}");
            }

            // cloud-init runs bootcmd and runcmd as shell lines: check them as one script.
            scripts.TryAdd("#!/bin/bash\n" + string.Join('\n', RenderingFixtures.Commands(document.Text)) + "\n", $"bootcmd/runcmd of {label}");
        }

        var folder = Directory.CreateTempSubdirectory("nodeimager-shellcheck-");
        try
        {
            var files = scripts.Select((s, i) => (Path: Path.Combine(folder.FullName, $"{i}.sh"), Label: s.Value, Content: s.Key)).ToList();
            foreach (var file in files)
            {
                File.WriteAllText(file.Path, file.Content);
            }

            var (code, output) = RenderingFixtures.Run("/usr/bin/shellcheck", ["-s", "bash", "-f", "json1", .. files.Select(f => f.Path)]);
            using var json = JsonDocument.Parse(output);
            var findings = json.RootElement.GetProperty("comments").EnumerateArray()
                .Select(c => $"{files.Single(f => f.Path == c.GetProperty("file").GetString()).Label}:{c.GetProperty("line").GetInt32()}: SC{c.GetProperty("code").GetInt32()} {c.GetProperty("message").GetString()}")
                .ToList();
            Assert.True(findings.Count == 0 && code == 0, string.Join("\n", findings));
            Assert.True(files.Count >= 6, $"expected the scripts of every role, found {files.Count}");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Shellcheck_bites()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "#!/bin/bash\nreport done \"x\"\necho $1\n");
            var (code, _) = RenderingFixtures.Run("/usr/bin/shellcheck", ["-s", "bash", file]);
            Assert.NotEqual(0, code);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static int KubernetesReleasesCount => Core.Model.KubernetesReleases.Supported.Count;
}
