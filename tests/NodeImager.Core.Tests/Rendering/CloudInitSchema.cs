using System.Text.Json;

namespace NodeImager.Core.Tests.Rendering;

/// <summary>The real cloud-init (25.1.4 in the Debian chroot) judging rendered documents.</summary>
internal static class CloudInitSchema
{
    public static string Root =>
        Environment.GetEnvironmentVariable("NODEIMAGER_CHROOT") is { Length: > 0 } root ? root : "/var/cache/nodeimager/trixie";

    /// <summary>`cloud-init schema --config-file F` itself, one document: exit code and output.</summary>
    public static (int ExitCode, string Output) Cli(string document) =>
        InChroot([document], paths => ["cloud-init", "schema", "--config-file", paths[0]]);

    /// <summary>Many documents through cloud-init's own validator in one python process: null = valid, else why not.</summary>
    public static IReadOnlyList<string?> Validate(IReadOnlyList<string> documents)
    {
        var script = File.ReadAllText(Path.Combine(RenderingFixtures.RepositoryRoot, "tests", "tools", "cloud-init-schema.py"));
        var (code, output) = InChroot([script, .. documents], paths => ["python3", paths[0], .. paths.Skip(1)]);
        Assert.True(code == 0, $"the schema script failed ({code}): {output}");
        var lastLine = output.TrimEnd().Split('\n')[^1];
        var results = JsonSerializer.Deserialize<Dictionary<string, string?>>(lastLine)!;
        return documents.Select((_, i) => results[Paths(documents.Count + 1)[i + 1]]).ToList();
    }

    /// <summary>EC2 user-data bytes as cloud-init's user-data processor reads them (it gunzips with util.decomp_gzip).</summary>
    public static string Decode(byte[] userData)
    {
        lock (Gate)
        {
            var host = Root + Folder;
            Directory.CreateDirectory(host);
            try
            {
                File.WriteAllBytes(host + "/user-data", userData);
                var (code, output) = RenderingFixtures.Run("chroot", [Root, "python3", "-c",
                    "import sys; from cloudinit import user_data; sys.stdout.write(user_data.convert_string(open(sys.argv[1], 'rb').read()).get_payload(decode=True).decode())",
                    Folder + "/user-data"]);
                Assert.True(code == 0, output);
                return output;
            }
            finally
            {
                Directory.Delete(host, recursive: true);
            }
        }
    }

    private static string Folder => "/tmp/nodeimager-schema-" + Environment.ProcessId;

    private static List<string> Paths(int count) => Enumerable.Range(0, count).Select(i => $"{Folder}/{i}.yaml").ToList();

    private static (int ExitCode, string Output) InChroot(IReadOnlyList<string> files, Func<List<string>, List<string>> command)
    {
        Assert.True(Directory.Exists(Path.Combine(Root, "usr/lib/python3/dist-packages/cloudinit")),
            $"cloud-init chroot not found at {Root} (set NODEIMAGER_CHROOT to the chroot built by tests/tools/chroot.sh)");
        lock (Gate)
        {
            var host = Root + Folder;
            Directory.CreateDirectory(host);
            try
            {
                var paths = Paths(files.Count);
                for (var i = 0; i < files.Count; i++)
                {
                    File.WriteAllText(Root + paths[i], files[i]);
                }

                return RenderingFixtures.Run("chroot", [Root, .. command(paths)]);
            }
            finally
            {
                Directory.Delete(host, recursive: true);
            }
        }
    }

    private static readonly Lock Gate = new();
}
