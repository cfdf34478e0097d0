using System.IO.Compression;
using System.Text;
using NodeImager.Aws.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace NodeImager.Aws.Tests.Images;

/// <summary>What EC2 was sent as user-data, judged by the real tools: cloud-init's schema (in the chroot) and shellcheck.</summary>
internal static class UserDataCheck
{
    /// <summary>The document inside EC2's user-data (base64 of the text, or of its gzip).</summary>
    public static string Decode(string base64)
    {
        var bytes = Convert.FromBase64String(base64);
        if (bytes.Length > 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var text = new StreamReader(gzip, Encoding.UTF8);
            return text.ReadToEnd();
        }

        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>`cloud-init schema --config-file` in the chroot: exit code and output.</summary>
    public static async Task<(int Code, string Output)> SchemaAsync(string document)
    {
        var folder = $"/tmp/nodeimager-bake-schema-{Environment.ProcessId}-{Guid.NewGuid():N}";
        Directory.CreateDirectory(Emulator.ChrootPath + folder);
        try
        {
            await File.WriteAllTextAsync(Emulator.ChrootPath + folder + "/user-data.yaml", document);
            return await Emulator.RunAsync("chroot", [Emulator.ChrootPath, "cloud-init", "schema", "--config-file", folder + "/user-data.yaml"], new Dictionary<string, string>());
        }
        finally
        {
            Directory.Delete(Emulator.ChrootPath + folder, recursive: true);
        }
    }

    /// <summary>shellcheck on every embedded *.sh and on runcmd as one script; returns its findings (empty = clean).</summary>
    public static async Task<(int Scripts, string Findings)> ShellcheckAsync(string document)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(document));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var scripts = new List<string>();
        if (root.Children.TryGetValue(new YamlScalarNode("write_files"), out var files))
        {
            foreach (var file in ((YamlSequenceNode)files).Children.OfType<YamlMappingNode>())
            {
                var path = ((YamlScalarNode)file.Children[new YamlScalarNode("path")]).Value!;
                if (path.EndsWith(".sh", StringComparison.Ordinal) && file.Children.TryGetValue(new YamlScalarNode("content"), out var content))
                {
                    scripts.Add(((YamlScalarNode)content).Value!);
                }
            }
        }

        if (root.Children.TryGetValue(new YamlScalarNode("runcmd"), out var runcmd))
        {
            var lines = ((YamlSequenceNode)runcmd).Children.Select(c => c is YamlSequenceNode seq
                ? string.Join(' ', seq.Children.Select(a => ((YamlScalarNode)a).Value))
                : ((YamlScalarNode)c).Value);
            scripts.Add("#!/bin/bash\n" + string.Join('\n', lines) + "\n");
        }

        var folder = Directory.CreateTempSubdirectory("nodeimager-bake-shellcheck-");
        try
        {
            var paths = new List<string>();
            for (var i = 0; i < scripts.Count; i++)
            {
                var path = Path.Combine(folder.FullName, $"{i}.sh");
                await File.WriteAllTextAsync(path, scripts[i]);
                paths.Add(path);
            }

            var (code, output) = await Emulator.RunAsync("/usr/bin/shellcheck", ["-s", "bash", .. paths], new Dictionary<string, string>());
            return (scripts.Count, code == 0 ? string.Empty : output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
