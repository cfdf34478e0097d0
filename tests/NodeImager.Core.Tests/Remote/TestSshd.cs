using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NodeImager.Core.Tests.Remote;

/// <summary>
/// A real OpenSSH server (/usr/sbin/sshd) on 127.0.0.1 and a free port, with its own host key, an authorized test key
/// and a config in a temporary folder; killed on dispose. Logins are as the current user (root here).
/// With <see cref="Options.NodeFiles"/>, <c>cat</c> on the server reads absolute paths under <see cref="NodeRoot"/>,
/// so /etc/kubernetes/admin.conf and /var/log/... can be faked without touching the host.
/// With <see cref="Options.ActAsUser"/>, <c>id -u</c> answers 1000 and a stand-in <c>sudo</c> logs its arguments
/// to <see cref="SudoLog"/> and runs the rest: the non-root path without creating users.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TestSshd : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder log;
    private bool stopped;

    private TestSshd(string root, int port, Process process, StringBuilder log)
    {
        Root = root;
        Port = port;
        this.process = process;
        this.log = log;
    }

    /// <summary>SudoNeedsPassword (with ActAsUser): the stand-in sudo refuses as sudo -n does without a NOPASSWD rule.
    /// ChrootDirectory: every session runs chrooted there (sshd's own ChrootDirectory; each component of the path must
    /// be root-owned and not group- or world-writable), so a simulated node's root answers as the node would.</summary>
    public sealed record Options(int? Port = null, string? AuthorizedKeyFrom = null, bool NodeFiles = false, bool ActAsUser = false, bool SudoNeedsPassword = false, string? ChrootDirectory = null);

    public const string Host = "127.0.0.1";

    public string Root { get; }

    public int Port { get; }

    /// <summary>The private key the server accepts (no passphrase).</summary>
    public string ClientKey => Path.Combine(Root, "client_key");

    public string HostKeyPublic => File.ReadAllText(Path.Combine(Root, "host_key.pub")).Trim();

    public string NodeRoot => Path.Combine(Root, "node");

    public string SudoLog => Path.Combine(Root, "sudo.log");

    public string Log => log.ToString();

    public static async Task<TestSshd> StartAsync(Options? options = null)
    {
        options ??= new Options();
        var root = Directory.CreateTempSubdirectory("nodeimager-sshd-").FullName;
        await Tool("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test-host", "-f", Path.Combine(root, "host_key"));
        await Tool("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test-client", "-f", Path.Combine(root, "client_key"));
        var authorized = await File.ReadAllTextAsync(Path.Combine(root, "client_key.pub"));
        if (options.AuthorizedKeyFrom is not null)
        {
            authorized += await File.ReadAllTextAsync(options.AuthorizedKeyFrom + ".pub");
        }

        await File.WriteAllTextAsync(Path.Combine(root, "authorized_keys"), authorized);

        var bin = Path.Combine(root, "bin");
        Directory.CreateDirectory(bin);
        Directory.CreateDirectory(Path.Combine(root, "node"));
        if (options.NodeFiles)
        {
            Script(bin, "cat", $$"""
                #!/bin/sh
                # Absolute paths are read under the fake node root.
                for arg in "$@"; do
                  case "$arg" in
                    --) ;;
                    /*) set -- "$@" "{{root}}/node$arg" ;;
                    *) set -- "$@" "$arg" ;;
                  esac
                  shift
                done
                exec /bin/cat "$@"
                """);
        }

        if (options.ActAsUser)
        {
            Script(bin, "id", """
                #!/bin/sh
                [ "$1" = "-u" ] && { echo 1000; exit 0; }
                exec /usr/bin/id "$@"
                """);
            Script(bin, "sudo", $$"""
                #!/bin/sh
                echo "sudo $*" >> "{{root}}/sudo.log"
                [ "$1" = "-n" ] && [ "{{(options.SudoNeedsPassword ? "no" : "yes")}}" = yes ] || { echo "sudo: a password is required" >&2; exit 1; }
                shift
                exec "$@"
                """);
        }

        var port = options.Port ?? FreePort();
        var config = Path.Combine(root, "sshd_config");
        await File.WriteAllTextAsync(config, $"""
            ListenAddress {Host}
            HostKey {root}/host_key
            AuthorizedKeysFile {root}/authorized_keys
            PermitRootLogin prohibit-password
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            StrictModes no
            UsePAM no
            PidFile {root}/sshd.pid
            SetEnv PATH={bin}:/usr/local/bin:/usr/bin:/bin
            {(options.ChrootDirectory is null ? string.Empty : "ChrootDirectory " + options.ChrootDirectory)}
            """);

        // sshd refuses to start without its privilege separation directory.
        Directory.CreateDirectory("/run/sshd");
        var start = new ProcessStartInfo("/usr/sbin/sshd") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-D", "-e", "-f", config, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        var log = new StringBuilder();
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        var server = new TestSshd(root, port, process, log);
        await server.WaitUntilListeningAsync();
        return server;
    }

    /// <summary>A second server on the same address, with a new host key, that also accepts this server's client key.</summary>
    public async Task<TestSshd> ReplaceWithNewHostKeyAsync()
    {
        await StopAsync();
        var replacement = await StartAsync(new Options(Port, AuthorizedKeyFrom: ClientKey));
        await DisposeAsync();
        return replacement;
    }

    /// <summary>Writes a file on the fake node (an absolute path like /var/log/x.log).</summary>
    public void WriteNodeFile(string absolutePath, string content)
    {
        var path = NodeRoot + absolutePath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a local tool, failing the test with its output if it fails.</summary>
    public static async Task<string> Tool(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await error}");
        }

        return await output;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A straggling session may still hold a file; the temp folder is cleaned by the OS eventually.
        }
    }

    private async Task StopAsync()
    {
        if (stopped)
        {
            return;
        }

        stopped = true;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"sshd exited ({process.ExitCode}): {Log}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static void Script(string directory, string name, string text)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, text.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
