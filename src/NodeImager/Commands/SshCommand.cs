using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using NodeImager.Cli.Infrastructure;
using NodeImager.Core;
using NodeImager.Core.Remote;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Commands;

/// <summary>Opens a shell on a node, or runs one command there and returns its exit code.</summary>
public sealed class SshCommand(IAnsiConsole console, NodeImagerApp.HostEnvironment host, INodeDirectory nodes, TerminalStreams terminal)
    : AsyncCommand<SshCommand.Settings>
{
    public sealed class Settings : NodeSettings
    {
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var endpoint = await settings.ResolveAsync(host, nodes, cancellationToken);
        // Like ssh(1): the words after -- form one command line for the remote shell.
        var command = string.Join(' ', context.Remaining.Raw);
        using var output = terminal.OutputFor(console);
        using var error = terminal.ErrorFor(console);

        if (command.Length > 0)
        {
            using var shell = await NodeShell.ConnectAsync(endpoint, cancellationToken);
            return await shell.RunAsync(command, terminal.Input, output, error, cancellationToken);
        }

        if (terminal.IsInteractive && OpenSshClient(host.Variables) is { } client)
        {
            // Connecting once first checks the host key (recording it on first contact) and gives our clear errors;
            // then the real ssh client, with strict checking against the same file, gives a proper terminal.
            using (await NodeShell.ConnectAsync(endpoint, cancellationToken))
            {
            }

            return await RunOpenSshAsync(client, endpoint);
        }

        // No terminal (input piped) or no ssh client: a shell reading commands from our stdin.
        if (terminal.IsInteractive)
        {
            await WriteAsync(error, "No ssh client found: running a plain shell (no prompt or line editing). Type commands; end with Ctrl-D.\n");
        }

        using (var shell = await NodeShell.ConnectAsync(endpoint, cancellationToken))
        {
            return await shell.RunAsync("exec \"${SHELL:-/bin/sh}\" -l", terminal.Input, output, error, cancellationToken);
        }
    }

    /// <summary>The OpenSSH client on PATH, if any.</summary>
    private static string? OpenSshClient(IReadOnlyDictionary<string, string> environment) =>
        (environment.GetValueOrDefault("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, OperatingSystem.IsWindows() ? "ssh.exe" : "ssh"))
            .FirstOrDefault(File.Exists);

    /// <summary>The ssh(1) arguments that reach the node exactly as NodeShell does: same key, same known_hosts, strict.</summary>
    internal static IReadOnlyList<string> OpenSshArguments(NodeEndpoint endpoint) =>
    [
        "-i", endpoint.PrivateKeyPath,
        "-p", endpoint.Port.ToString(CultureInfo.InvariantCulture),
        "-l", endpoint.User,
        "-o", "IdentitiesOnly=yes",
        "-o", $"UserKnownHostsFile={endpoint.KnownHostsPath}",
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "StrictHostKeyChecking=yes",
        "-o", $"ConnectTimeout={Math.Max(1, (int)endpoint.ConnectTimeout.TotalSeconds)}",
        endpoint.Host,
    ];

    private static async Task<int> RunOpenSshAsync(string client, NodeEndpoint endpoint)
    {
        var start = new ProcessStartInfo(client) { UseShellExecute = false };
        foreach (var argument in OpenSshArguments(endpoint))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new NodeImagerException($"Could not start {client}.");
        // Ctrl-C belongs to the remote shell while ssh runs; wait for ssh itself to end.
        await process.WaitForExitAsync(CancellationToken.None);
        return process.ExitCode;
    }

    private static async Task WriteAsync(Stream stream, string text)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text));
        await stream.FlushAsync();
    }
}

/// <summary>Options of the commands that talk to one node over SSH.</summary>
public class NodeSettings : GlobalSettings
{
    [CommandArgument(0, "<NAME>")]
    [Description("Cluster name.")]
    public string Name { get; init; } = "";

    [CommandArgument(1, "[NODE]")]
    [Description("master (default), master-N, worker-N (1-based) or an instance id.")]
    public string? Node { get; init; }

    [CommandOption("--user <USER>")]
    [Description("Remote user. Default: ubuntu (Ubuntu cloud images).")]
    public string User { get; init; } = NodeEndpoint.DefaultUser;

    [CommandOption("-p|--port <PORT>")]
    [Description("SSH port, when the node's sshd listens elsewhere. Default: 22 (the port the node lookup reports).")]
    public int? Port { get; init; }

    [CommandOption("-i|--identity <FILE>")]
    [Description("SSH private key. Default: the key `up` wrote into the cluster's folder (~/.nodeimager/clusters/NAME/).")]
    public string? Identity { get; init; }

    [CommandOption("--connect-timeout <SECONDS>")]
    [Description("Give up on an unreachable node after this many seconds. Default: 15.")]
    public int ConnectTimeout { get; init; } = (int)NodeEndpoint.DefaultConnectTimeout.TotalSeconds;

    public override ValidationResult Validate()
    {
        if (ConnectTimeout is < 1 or > 600)
        {
            return ValidationResult.Error("--connect-timeout must be 1 to 600 seconds.");
        }

        if (Port is < 1 or > 65535)
        {
            return ValidationResult.Error("--port must be 1 to 65535.");
        }

        return string.IsNullOrWhiteSpace(User) ? ValidationResult.Error("--user must not be empty.") : ValidationResult.Success();
    }

    /// <summary>Finds the node and everything needed to reach it: address, key, known_hosts.</summary>
    internal async Task<NodeEndpoint> ResolveAsync(NodeImagerApp.HostEnvironment host, INodeDirectory nodes, CancellationToken cancellationToken)
    {
        var files = ClusterFiles.For(Name, host.Variables);
        var identity = Identity is null ? null : Path.GetFullPath(Identity, host.WorkingDirectory);
        var node = NodeSelector.Select(Name, await nodes.FindAsync(Name, cancellationToken), Node);
        var endpoint = NodeEndpoint.For(node with { SshPort = Port ?? node.SshPort }, files, files.PrivateKey(identity), User);
        return endpoint with { ConnectTimeout = TimeSpan.FromSeconds(ConnectTimeout) };
    }
}

/// <summary>
/// The process's standard streams as the SSH commands use them (raw bytes, so remote output is passed through
/// unchanged). Without a registration, output and errors go to the IAnsiConsole and stdin is empty, which is what
/// tests with a TestConsole want; Program registers <see cref="Process"/>.
/// </summary>
public sealed record TerminalStreams(Stream Input, Stream? Output, Stream? Error, bool IsInteractive)
{
    public static TerminalStreams ConsoleOnly { get; } = new(Stream.Null, null, null, IsInteractive: false);

    public static TerminalStreams Process() => new(
        Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.OpenStandardError(),
        IsInteractive: !Console.IsInputRedirected && !Console.IsOutputRedirected);

    internal Stream OutputFor(IAnsiConsole console) => Output is null ? new ConsoleWriterStream(console.Profile.Out.Writer) : new KeepOpenStream(Output);

    internal Stream ErrorFor(IAnsiConsole console) => Error is null ? new ConsoleWriterStream(console.Profile.Out.Writer) : new KeepOpenStream(Error);

    /// <summary>What the output streams have in common: written to, never read or sought.</summary>
    private abstract class WriteOnlyStream : Stream
    {
        public sealed override bool CanRead => false;

        public sealed override bool CanSeek => false;

        public sealed override bool CanWrite => true;

        public sealed override long Length => throw new NotSupportedException();

        public sealed override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public sealed override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public sealed override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>Decodes UTF-8 bytes onto a TextWriter (a multi-byte character split across writes is kept whole).</summary>
    private sealed class ConsoleWriterStream(TextWriter writer) : WriteOnlyStream
    {
        private readonly Decoder decoder = Encoding.UTF8.GetDecoder();

        public override void Write(byte[] buffer, int offset, int count)
        {
            var chars = new char[decoder.GetCharCount(buffer, offset, count)];
            var n = decoder.GetChars(buffer, offset, count, chars, 0);
            lock (writer)
            {
                writer.Write(chars, 0, n);
            }
        }

        public override void Flush() => writer.Flush();
    }

    /// <summary>Lets a command dispose its stream without closing the process's stdout/stderr.</summary>
    private sealed class KeepOpenStream(Stream inner) : WriteOnlyStream
    {
        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            inner.Flush();
        }

        public override void Flush() => inner.Flush();
    }
}
