using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace NodeImager.Core.Remote;

/// <summary>What a known_hosts file says about a host key a server presented.</summary>
public enum HostKeyVerdict
{
    /// <summary>The key is recorded for this host.</summary>
    Known,

    /// <summary>Nothing is recorded for this host: first contact.</summary>
    Unknown,

    /// <summary>Other keys are recorded for this host (or this one is revoked): refuse, it may be an impostor.</summary>
    Changed,
}

/// <summary>
/// A per-cluster known_hosts file in OpenSSH's format (<c>host keytype base64</c>, <c>[host]:port</c> for ports other
/// than 22, hashed <c>|1|salt|hash</c> names understood), so `ssh -o UserKnownHostsFile=...` trusts exactly what we trust.
/// Trust on first use: an unknown host's key is recorded; a different key later is refused.
/// </summary>
public sealed class KnownHosts(string path)
{
    public string Path { get; } = path;

    public static string HostPattern(string host, int port) => port == 22 ? host : $"[{host}]:{port}";

    /// <summary>OpenSSH's fingerprint form: <c>SHA256:</c> and unpadded base64 of the key blob.</summary>
    public static string Fingerprint(byte[] keyBlob) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(keyBlob)).TrimEnd('=');

    /// <summary>The algorithm name inside an SSH public key blob (its first string), e.g. ssh-ed25519 or ssh-rsa.</summary>
    public static string KeyType(byte[] keyBlob)
    {
        if (keyBlob.Length < 4)
        {
            throw new ArgumentException("Not an SSH public key blob.", nameof(keyBlob));
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(keyBlob);
        if (length == 0 || length > keyBlob.Length - 4)
        {
            throw new ArgumentException("Not an SSH public key blob.", nameof(keyBlob));
        }

        return Encoding.ASCII.GetString(keyBlob, 4, (int)length);
    }

    // One process may open sessions to several nodes at once (up fetches from the master while waiting on workers):
    // checking and recording must not interleave, or a host could be recorded twice or a line torn.
    private static readonly Lock Gate = new();

    public HostKeyVerdict Check(string host, int port, byte[] keyBlob) => Check(host, port, keyBlob, out _);

    /// <summary>
    /// Trust on first use, in one step: an unknown host's key is recorded and reported as <see cref="HostKeyVerdict.Unknown"/>
    /// (trusted from now on); a known key is <see cref="HostKeyVerdict.Known"/>; anything else is <see cref="HostKeyVerdict.Changed"/>.
    /// </summary>
    public HostKeyVerdict TrustOnFirstUse(string host, int port, byte[] keyBlob, out IReadOnlyList<string> recorded)
    {
        lock (Gate)
        {
            var verdict = Check(host, port, keyBlob, out recorded);
            if (verdict == HostKeyVerdict.Unknown)
            {
                Add(host, port, keyBlob);
            }

            return verdict;
        }
    }

    /// <summary>Also returns the fingerprints of the keys recorded for the host, for the error message on a change.</summary>
    public HostKeyVerdict Check(string host, int port, byte[] keyBlob, out IReadOnlyList<string> recorded)
    {
        var pattern = HostPattern(host, port);
        var presented = Convert.ToBase64String(keyBlob);
        var found = new List<string>();
        var known = false;
        foreach (var entry in Entries())
        {
            if (!entry.Matches(pattern))
            {
                continue;
            }

            var same = entry.Key == presented;
            if (entry.Marker == "@revoked")
            {
                if (same)
                {
                    recorded = [];
                    return HostKeyVerdict.Changed;
                }

                continue;
            }

            if (entry.Marker is not null)
            {
                continue; // @cert-authority: we do not do host certificates.
            }

            known |= same;
            found.Add(Fingerprint(Convert.FromBase64String(entry.Key)));
        }

        recorded = found;
        return known ? HostKeyVerdict.Known : found.Count == 0 ? HostKeyVerdict.Unknown : HostKeyVerdict.Changed;
    }

    /// <summary>Records the key for the host (appends a line; the file is created 0600).</summary>
    public void Add(string host, int port, byte[] keyBlob)
    {
        lock (Gate)
        {
            Append(host, port, keyBlob);
        }
    }

    private void Append(string host, int port, byte[] keyBlob)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            // A cluster folder holds keys: private to the operator from the start.
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var line = $"{HostPattern(host, port)} {KeyType(keyBlob)} {Convert.ToBase64String(keyBlob)}\n";
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(Path, options);
        // Another writer may have left the last line without its newline: never glue two entries together.
        if (stream.Length > 0 && !EndsWithNewline())
        {
            stream.WriteByte((byte)'\n');
        }

        stream.Write(Encoding.ASCII.GetBytes(line));
    }

    private bool EndsWithNewline()
    {
        using var read = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (read.Length == 0)
        {
            return true;
        }

        read.Seek(-1, SeekOrigin.End);
        return read.ReadByte() == '\n';
    }

    private IEnumerable<Entry> Entries()
    {
        if (!File.Exists(Path))
        {
            yield break;
        }

        foreach (var raw in File.ReadLines(Path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            string? marker = null;
            if (fields[0].StartsWith('@'))
            {
                marker = fields[0];
                fields = fields[1..];
            }

            if (fields.Length >= 3)
            {
                yield return new Entry(marker, fields[0], fields[2]);
            }
        }
    }

    private sealed record Entry(string? Marker, string Hosts, string Key)
    {
        public bool Matches(string pattern)
        {
            if (Hosts.StartsWith("|1|", StringComparison.Ordinal))
            {
                var parts = Hosts.Split('|');
                if (parts.Length != 4)
                {
                    return false;
                }

                try
                {
                    var hash = HMACSHA1.HashData(Convert.FromBase64String(parts[2]), Encoding.ASCII.GetBytes(pattern));
                    return Convert.ToBase64String(hash) == parts[3];
                }
                catch (FormatException)
                {
                    return false;
                }
            }

            // Plain names, comma-separated; OpenSSH wildcards and negations are not used in our files.
            return Hosts.Split(',').Contains(pattern, StringComparer.OrdinalIgnoreCase);
        }
    }
}
