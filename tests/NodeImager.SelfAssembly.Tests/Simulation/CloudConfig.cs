using System.Globalization;
using System.IO.Compression;
using System.Text;
using YamlDotNet.Serialization;

namespace NodeImager.SelfAssembly.Tests.Simulation;

/// <summary>The user-data does something the simulator cannot run faithfully; failing beats ignoring it.</summary>
public sealed class CloudConfigException(string message) : Exception(message);

/// <summary>One write_files entry, decoded.</summary>
public sealed record FileToWrite(string Path, byte[] Content, UnixFileMode Permissions, string Owner, bool Append, bool Defer);

/// <summary>
/// A #cloud-config document reduced to what cloud-init would do with it, in cloud-init's terms. Only the keys the
/// runner executes are accepted: a key it ignored would hide a bug, so anything else fails loudly.
/// </summary>
public sealed class CloudConfig
{
    private static readonly HashSet<string> Understood = ["bootcmd", "write_files", "runcmd", "packages", "package_update", "package_upgrade"];
    private static readonly HashSet<string> FileKeys = ["path", "content", "encoding", "permissions", "owner", "append", "defer"];

    public IReadOnlyList<string> BootCommands { get; private init; } = [];

    public IReadOnlyList<FileToWrite> Files { get; private init; } = [];

    /// <summary>runcmd rendered the way cloud-init renders it: one shell line per entry.</summary>
    public IReadOnlyList<string> RunCommands { get; private init; } = [];

    /// <summary>Package specs for apt ("name" or "name=version").</summary>
    public IReadOnlyList<string> Packages { get; private init; } = [];

    public bool PackageUpdate { get; private init; }

    public bool PackageUpgrade { get; private init; }

    /// <summary>The script cloud-init writes for runcmd (scripts/runcmd): #!/bin/sh, no set -e.</summary>
    public string RunCommandScript => "#!/bin/sh\n" + string.Concat(RunCommands.Select(c => c + "\n"));

    public string BootCommandScript => "#!/bin/sh\n" + string.Concat(BootCommands.Select(c => c + "\n"));

    /// <summary>Raw EC2 user-data: gzip is unpacked (as cloud-init does), then it must be a #cloud-config.</summary>
    public static CloudConfig FromUserData(byte[] userData)
    {
        var bytes = userData;
        if (bytes.Length > 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            gzip.CopyTo(plain);
            bytes = plain.ToArray();
        }

        return Parse(Encoding.UTF8.GetString(bytes));
    }

    public static CloudConfig Parse(string text)
    {
        if (!text.StartsWith("#cloud-config\n", StringComparison.Ordinal))
        {
            var first = text.Split('\n')[0];
            throw new CloudConfigException($"user-data is not a #cloud-config document (first line: '{first}'); the simulator runs only cloud-config");
        }

        object? document;
        try
        {
            document = new DeserializerBuilder().Build().Deserialize<object>(text);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new CloudConfigException($"user-data is not valid YAML: {e.Message}");
        }

        if (document is not Dictionary<object, object> map)
        {
            throw new CloudConfigException("user-data is not a YAML mapping");
        }

        var unknown = map.Keys.Select(k => k.ToString()!).Where(k => !Understood.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new CloudConfigException($"user-data uses keys the simulator does not run: {string.Join(", ", unknown)} (it runs {string.Join(", ", Understood)})");
        }

        return new CloudConfig
        {
            BootCommands = Commands(map, "bootcmd"),
            Files = WriteFiles(map),
            RunCommands = Commands(map, "runcmd"),
            Packages = PackageList(map),
            PackageUpdate = Flag(map, "package_update", "top level"),
            PackageUpgrade = Flag(map, "package_upgrade", "top level"),
        };
    }

    /// <summary>cloud-init's shellify: a list entry is words, each shell-quoted; a string entry is used verbatim.</summary>
    private static List<string> Commands(Dictionary<object, object> map, string key)
    {
        if (!map.TryGetValue(key, out var value) || value is null)
        {
            return [];
        }

        if (value is not List<object> entries)
        {
            throw new CloudConfigException($"{key} must be a list");
        }

        return entries.Select((entry, i) => entry switch
        {
            string line => line,
            List<object> words when words.All(w => w is string) => string.Join(' ', words.Cast<string>().Select(ShellQuote)),
            _ => throw new CloudConfigException($"{key}[{i}] must be a string or a list of strings"),
        }).ToList();
    }

    /// <summary>Python's shlex.quote, which cloud-init uses.</summary>
    public static string ShellQuote(string word)
    {
        if (word.Length == 0)
        {
            return "''";
        }

        return word.All(c => char.IsAsciiLetterOrDigit(c) || "@%+=:,./-_".Contains(c)) ? word : "'" + word.Replace("'", "'\"'\"'", StringComparison.Ordinal) + "'";
    }

    private static List<FileToWrite> WriteFiles(Dictionary<object, object> map)
    {
        if (!map.TryGetValue("write_files", out var value) || value is null)
        {
            return [];
        }

        if (value is not List<object> entries)
        {
            throw new CloudConfigException("write_files must be a list");
        }

        var files = new List<FileToWrite>();
        foreach (var (entry, i) in entries.Select((e, i) => (e, i)))
        {
            if (entry is not Dictionary<object, object> file)
            {
                throw new CloudConfigException($"write_files[{i}] must be a mapping");
            }

            var keys = file.Keys.Select(k => k.ToString()!).ToList();
            if (keys.FirstOrDefault(k => !FileKeys.Contains(k)) is { } bad)
            {
                throw new CloudConfigException($"write_files[{i}] has '{bad}', which the simulator does not run (it knows {string.Join(", ", FileKeys)})");
            }

            var path = file.TryGetValue("path", out var p) && p is string s && s.StartsWith('/') ? s : throw new CloudConfigException($"write_files[{i}] needs an absolute path");
            var content = file.TryGetValue("content", out var c) ? c as string ?? throw new CloudConfigException($"write_files[{i}] ({path}): content must be a string") : string.Empty;
            var encoding = file.TryGetValue("encoding", out var e) ? e as string ?? string.Empty : "text/plain";
            var permissions = file.TryGetValue("permissions", out var m) ? m as string ?? string.Empty : "0644";
            if (!System.Text.RegularExpressions.Regex.IsMatch(permissions, "^0?[0-7]{3,4}$"))
            {
                throw new CloudConfigException($"write_files[{i}] ({path}): permissions '{permissions}' is not an octal string like '0644'");
            }

            files.Add(new FileToWrite(
                path,
                Decode(content, encoding, path),
                (UnixFileMode)Convert.ToInt32(permissions, 8),
                file.TryGetValue("owner", out var o) ? o as string ?? "root:root" : "root:root",
                Flag(file, "append", path),
                Flag(file, "defer", path)));
        }

        return files;
    }

    /// <summary>cloud-init's write_files encodings (cc_write_files.decode_perms/extract_contents).</summary>
    private static byte[] Decode(string content, string encoding, string path)
    {
        byte[] Gunzip(byte[] data)
        {
            using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            gzip.CopyTo(plain);
            return plain.ToArray();
        }

        return encoding.ToLowerInvariant() switch
        {
            "text/plain" or "" => Encoding.UTF8.GetBytes(content),
            "b64" or "base64" => Convert.FromBase64String(content),
            "gz" or "gzip" => Gunzip(Encoding.Latin1.GetBytes(content)),
            "gz+b64" or "gzip+b64" or "gz+base64" or "gzip+base64" => Gunzip(Convert.FromBase64String(content)),
            _ => throw new CloudConfigException($"write_files ({path}): unknown encoding '{encoding}'"),
        };
    }

    private static List<string> PackageList(Dictionary<object, object> map)
    {
        if (!map.TryGetValue("packages", out var value) || value is null)
        {
            return [];
        }

        if (value is not List<object> entries)
        {
            throw new CloudConfigException("packages must be a list");
        }

        return entries.Select(entry => entry switch
        {
            string name => name,
            List<object> { Count: 2 } pair when pair.All(x => x is string) => $"{pair[0]}={pair[1]}",
            _ => throw new CloudConfigException($"packages: '{entry}' is neither a name nor [name, version]"),
        }).ToList();
    }

    private static bool Flag(Dictionary<object, object> map, string key, string where)
    {
        if (!map.TryGetValue(key, out var value) || value is null)
        {
            return false;
        }

        return (value as string)?.ToLower(CultureInfo.InvariantCulture) switch
        {
            "true" => true,
            "false" => false,
            _ => throw new CloudConfigException($"{where}: {key} must be true or false, not '{value}'"),
        };
    }
}
