using System.Net.Sockets;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace NodeImager.Core.Remote;

/// <summary>What a remote command left behind. <see cref="Output"/> is raw bytes (files may not be text).</summary>
public sealed record CommandResult(int ExitCode, byte[] Output, string Error)
{
    public string Text => Encoding.UTF8.GetString(Output);
}

/// <summary>
/// An authenticated SSH session to one node (SSH.NET). Host keys are checked against the cluster's known_hosts
/// (recorded on first contact, refused when they change); every failure to reach the node becomes a
/// <see cref="NodeImagerException"/> that says what happened and what to try.
/// </summary>
public sealed class NodeShell : IDisposable
{
    private readonly SshClient client;
    private bool? root;

    private NodeShell(NodeEndpoint endpoint, SshClient client)
    {
        Endpoint = endpoint;
        this.client = client;
    }

    public NodeEndpoint Endpoint { get; }

    public static async Task<NodeShell> ConnectAsync(NodeEndpoint endpoint, CancellationToken cancellationToken)
    {
        var key = LoadKey(endpoint.PrivateKeyPath);
        var info = new ConnectionInfo(endpoint.Host, endpoint.Port, endpoint.User, new PrivateKeyAuthenticationMethod(endpoint.User, key))
        {
            Timeout = endpoint.ConnectTimeout,
        };
        var client = new SshClient(info);
        var knownHosts = new KnownHosts(endpoint.KnownHostsPath);
        NodeImagerException? refusal = null;
        client.HostKeyReceived += (_, e) =>
        {
            try
            {
                // Trust on first use: the node is ours and just launched; from then on this key is the node's.
                e.CanTrust = knownHosts.TrustOnFirstUse(endpoint.Host, endpoint.Port, e.HostKey, out var recorded) != HostKeyVerdict.Changed;
                if (!e.CanTrust)
                {
                    refusal = HostKeyChanged(endpoint, KnownHosts.Fingerprint(e.HostKey), recorded);
                }
            }
            catch (Exception problem) when (problem is IOException or UnauthorizedAccessException)
            {
                e.CanTrust = false;
                refusal = new NodeImagerException(
                    $"Could not check the host key of {endpoint.Host} against {endpoint.KnownHostsPath}: {problem.Message}",
                    "Make sure the cluster folder is yours and writable.", inner: problem);
            }
        };

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(endpoint.ConnectTimeout);
        try
        {
            await client.ConnectAsync(deadline.Token).ConfigureAwait(false);
            return new NodeShell(endpoint, client);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            throw refusal ?? Explain(endpoint, e);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="command"/> (a shell command line) and collects its output.</summary>
    public async Task<CommandResult> RunAsync(string command, CancellationToken cancellationToken)
    {
        using var output = new MemoryStream();
        using var error = new MemoryStream();
        var exitCode = await RunAsync(command, input: null, output, error, cancellationToken).ConfigureAwait(false);
        return new CommandResult(exitCode, output.ToArray(), Encoding.UTF8.GetString(error.ToArray()));
    }

    /// <summary>
    /// Runs <paramref name="command"/>, streaming its output as it comes; <paramref name="input"/> (if any) feeds its
    /// stdin until it ends. Returns the remote exit code (128 + n for a signal, as shells report it).
    /// </summary>
    public async Task<int> RunAsync(string command, Stream? input, Stream output, Stream error, CancellationToken cancellationToken)
    {
        using var sshCommand = client.CreateCommand(command);
        var execution = sshCommand.ExecuteAsync(cancellationToken);
        if (input is not null)
        {
            var remoteInput = sshCommand.CreateInputStream();
            // Not awaited: a console stdin may never end; the command's end is what counts.
            _ = Task.Run(async () =>
            {
                try
                {
                    await input.CopyToAsync(remoteInput, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SshException)
                {
                    // The command ended first (or the session dropped): nothing left to feed.
                }
                finally
                {
                    try
                    {
                        remoteInput.Dispose();
                    }
                    catch (Exception e) when (e is IOException or ObjectDisposedException or SshException)
                    {
                        // Closing the stdin of a finished command.
                    }
                }
            }, CancellationToken.None);
        }

        var copyOut = sshCommand.OutputStream.CopyToAsync(output, cancellationToken);
        var copyError = sshCommand.ExtendedOutputStream.CopyToAsync(error, cancellationToken);
        try
        {
            await execution.ConfigureAwait(false);
            await Task.WhenAll(copyOut, copyError).ConfigureAwait(false);
        }
        catch (SshConnectionException e)
        {
            throw new NodeImagerException($"The connection to {Endpoint.Display} dropped while running '{command}': {e.Message}", "Is the node rebooting? Try again.", inner: e);
        }

        if (sshCommand.ExitStatus is { } status)
        {
            return status;
        }

        return sshCommand.ExitSignal is { } signal ? 128 + SignalNumber(signal) : ExitCodes.Failure;
    }

    /// <summary>Whether the remote user is root (asked once with <c>id -u</c>).</summary>
    public async Task<bool> IsRootAsync(CancellationToken cancellationToken)
    {
        if (root is null)
        {
            var id = await RunAsync("id -u", cancellationToken).ConfigureAwait(false);
            if (id.ExitCode != 0)
            {
                throw new NodeImagerException($"Could not run 'id -u' on {Endpoint.Display}: {id.Error.Trim()}");
            }

            root = id.Text.Trim() == "0";
        }

        return root.Value;
    }

    /// <summary>
    /// Reads a file only root may read (<c>cat</c> as root, else <c>sudo -n cat</c>: never a password prompt).
    /// Returns null when the file does not exist.
    /// </summary>
    public async Task<byte[]?> ReadPrivilegedFileAsync(string path, CancellationToken cancellationToken)
    {
        var isRoot = await IsRootAsync(cancellationToken).ConfigureAwait(false);
        var result = await RunAsync(PrivilegedReadCommand(path, isRoot), cancellationToken).ConfigureAwait(false);
        if (result.ExitCode == 0)
        {
            return result.Output;
        }

        if (result.Error.Contains("No such file or directory", StringComparison.Ordinal))
        {
            return null;
        }

        var hint = !isRoot && result.Error.Contains("sudo", StringComparison.Ordinal)
            ? $"The user '{Endpoint.User}' needs password-less sudo (Ubuntu cloud images give it to 'ubuntu'); or connect as root."
            : null;
        throw new NodeImagerException($"Could not read {path} on {Endpoint.Display}: {FirstLine(result.Error)} (exit {result.ExitCode}).", hint);
    }

    /// <summary>The command line that prints <paramref name="path"/> with root's rights.</summary>
    public static string PrivilegedReadCommand(string path, bool isRoot) =>
        (isRoot ? "cat -- " : "sudo -n cat -- ") + Quote(path);

    /// <summary>Quotes one word for a POSIX shell.</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:,@%".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public void Dispose()
    {
        if (client.IsConnected)
        {
            client.Disconnect();
        }

        client.Dispose();
    }

    private static PrivateKeyFile LoadKey(string path)
    {
        try
        {
            return new PrivateKeyFile(path);
        }
        catch (SshPassPhraseNullOrEmptyException e)
        {
            throw new NodeImagerException($"The private key {path} is protected by a passphrase.", "Use the key `nodeimager up` wrote (it has none), or an unencrypted copy via --identity.", inner: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeImagerException($"Could not read the private key {path}: {e.Message}", "Check the file exists and is readable, or pass another with --identity.", inner: e);
        }
        catch (Exception e) when (e is SshException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new NodeImagerException($"{path} is not an OpenSSH private key this tool can use: {e.Message}", "Pass an OpenSSH/PEM private key (ed25519, ECDSA or RSA) with --identity.", inner: e);
        }
    }

    private static NodeImagerException HostKeyChanged(NodeEndpoint endpoint, string presented, IReadOnlyList<string> recorded) => new(
        $"The host key of {KnownHosts.HostPattern(endpoint.Host, endpoint.Port)} has changed: it presented {presented}, but {endpoint.KnownHostsPath} "
        + $"records {(recorded.Count > 0 ? string.Join(", ", recorded) : "this key as revoked")}. Someone may be intercepting the connection (man-in-the-middle), "
        + "or the address now belongs to another machine. Refusing to connect.",
        $"If you know why it changed (the node was replaced and got the same address), remove the old key with "
        + $"`ssh-keygen -R '{KnownHosts.HostPattern(endpoint.Host, endpoint.Port)}' -f {endpoint.KnownHostsPath}` and try again.");

    private static NodeImagerException Explain(NodeEndpoint endpoint, Exception e)
    {
        var where = $"{endpoint.Host} port {endpoint.Port}";
        return e switch
        {
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } => new(
                $"Could not connect to {where}: connection refused (nothing listens on that port).",
                "The node may still be booting, or sshd is not running on it. Wait a minute and try again.", inner: e),
            SocketException { SocketErrorCode: SocketError.TimedOut } or SshOperationTimeoutException or OperationCanceledException => new(
                $"Could not reach {where}: no SSH answer within {endpoint.ConnectTimeout.TotalSeconds:0} s.",
                "Check the node is running and that the security group lets your address in on port 22 (--admin-cidr); your public address may have changed.", inner: e),
            SocketException { SocketErrorCode: SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound } s => new(
                $"Could not reach {where}: {s.Message}.",
                "Check your network connection and that the node has a public address.", inner: e),
            SocketException s => new($"Could not connect to {where}: {s.Message}.", "Check the node is running and reachable.", inner: e),
            SshAuthenticationException => new(
                $"{endpoint.Display} refused the key {endpoint.PrivateKeyPath} (authentication failed).",
                $"Make sure this is the key of the cluster the node belongs to (pass another with --identity) and the user is right (--user; Ubuntu images use '{NodeEndpoint.DefaultUser}').", inner: e),
            SshConnectionException c => new(
                $"The SSH handshake with {where} failed: {c.Message}",
                "Is this an SSH server? The node may still be starting; try again in a minute.", inner: e),
            _ => new($"Could not open an SSH session to {where}: {e.Message}", "Run with --diagnostics for details.", inner: e),
        };
    }

    private static string FirstLine(string text)
    {
        var trimmed = text.Trim();
        var end = trimmed.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? trimmed : trimmed[..end];
    }

    private static int SignalNumber(string signal) => signal switch
    {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "ILL" => 4,
        "ABRT" => 6,
        "FPE" => 8,
        "KILL" => 9,
        "USR1" => 10,
        "SEGV" => 11,
        "USR2" => 12,
        "PIPE" => 13,
        "ALRM" => 14,
        _ => 15,
    };
}
