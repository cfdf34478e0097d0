using System.Text.RegularExpressions;
using NodeImager.Core.Configuration;
using NodeImager.Core.Model;
using NodeImager.Core.Rendering;
using YamlDotNet.RepresentationModel;

namespace NodeImager.Core.Tests.Rendering;

/// <summary>Specs, the shipped templates and helpers to take a rendered cloud-config apart.</summary>
internal static partial class RenderingFixtures
{
    public static readonly DateTimeOffset FixedExpiry = new(2026, 12, 1, 18, 30, 0, TimeSpan.Zero);

    public static readonly GoldenImageMarker Golden = new("k8s-base", "sha256:2f1c9a6d0b7e4c3f8a5d1e9b6c2a7f4e0d3b8c5a1f6e9d2c7b4a0e5f8d1c6b3a", "1.37.2");

    public static string RepositoryRoot { get; } = FindRoot();

    public static string TemplateDirectory => Path.Combine(RepositoryRoot, "templates");

    public static TemplateCatalog Catalog { get; } = TemplateCatalog.LoadOrThrow(TemplateDirectory);

    /// <summary>The spec every default flag gives (what `nodeimager render` renders with no options).</summary>
    public static ClusterSpec DefaultSpec(params FlagValue[] flags) => ClusterSpecLoader.Load(new ConfigInputs
    {
        // An empty folder: no stray nodeimager.yaml may leak into the spec.
        WorkingDirectory = EmptyFolder,
        Flags = flags,
    });

    private static string EmptyFolder { get; } = Directory.CreateTempSubdirectory("nodeimager-render-").FullName;

    public static FlagValue Flag(ConfigKey key, string value) => new(key.Path, value, key.Flag ?? key.Path);

    [GeneratedRegex(@"[a-z0-9]{6}\.[a-z0-9]{16}")]
    public static partial Regex TokenLike();

    public static YamlMappingNode Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    public static IReadOnlyList<YamlMappingNode> ParseAll(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    /// <summary>write_files path -> content.</summary>
    public static IReadOnlyDictionary<string, string> Files(string cloudConfig)
    {
        var root = Parse(cloudConfig);
        var files = (YamlSequenceNode)root["write_files"];
        return files.Cast<YamlMappingNode>().ToDictionary(f => Scalar(f["path"]), f => Scalar(f["content"]));
    }

    /// <summary>bootcmd and runcmd entries as the shell lines cloud-init runs (list entries are exec'd argv).</summary>
    public static IReadOnlyList<string> Commands(string cloudConfig)
    {
        var root = Parse(cloudConfig);
        var lines = new List<string>();
        foreach (var key in new[] { "bootcmd", "runcmd" })
        {
            if (!root.Children.TryGetValue(new YamlScalarNode(key), out var node))
            {
                continue;
            }

            foreach (var entry in (YamlSequenceNode)node)
            {
                lines.Add(entry is YamlSequenceNode argv
                    ? string.Join(' ', argv.Select(a => "'" + Scalar(a).Replace("'", "'\\''", StringComparison.Ordinal) + "'"))
                    : Scalar(entry));
            }
        }

        return lines;
    }

    public static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? string.Empty;

    /// <summary>The KEY="value" lines of node.env.</summary>
    public static IReadOnlyDictionary<string, string> NodeEnv(string cloudConfig) =>
        Files(cloudConfig)["/etc/nodeimager/node.env"]
            .Split('\n')
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1].Trim('"'));

    public static (int ExitCode, string Output) Run(string file, IEnumerable<string> args, string? stdin = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NodeImager.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("NodeImager.sln not found above " + AppContext.BaseDirectory);
    }
}
