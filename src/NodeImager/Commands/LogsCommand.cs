using System.ComponentModel;
using System.Text;
using NodeImager.Cli.Infrastructure;
using NodeImager.Core;
using NodeImager.Core.Remote;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Commands;

/// <summary>Fetches a node's boot logs (cloud-init's output and the NodeImager bootstrap log).</summary>
public sealed class LogsCommand(IAnsiConsole console, NodeImagerApp.HostEnvironment host, INodeDirectory nodes, TerminalStreams terminal)
    : AsyncCommand<LogsCommand.Settings>
{
    /// <summary>The logs a node writes while it assembles itself (root-only on Ubuntu, hence the privileged read).</summary>
    public static readonly IReadOnlyList<string> LogFiles = ["/var/log/cloud-init-output.log", "/var/log/nodeimager-bootstrap.log"];

    public sealed class Settings : NodeSettings
    {
        [CommandOption("--out <DIR>")]
        [Description("Write the logs into DIR (one file each, named after the node) instead of printing them.")]
        public string? Out { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var endpoint = await settings.ResolveAsync(host, nodes, cancellationToken);
        var node = settings.Node ?? "master";
        var found = 0;
        using var shell = await NodeShell.ConnectAsync(endpoint, cancellationToken);
        foreach (var log in LogFiles)
        {
            var content = await shell.ReadPrivilegedFileAsync(log, cancellationToken);
            if (content is null)
            {
                console.MarkupLine($"[yellow]{Markup.Escape(log)} is not on {Markup.Escape(node)} (yet).[/]");
                continue;
            }

            found++;
            if (settings.Out is not null)
            {
                var directory = Path.GetFullPath(settings.Out, host.WorkingDirectory);
                Directory.CreateDirectory(directory);
                var path = Path.Combine(directory, $"{node}-{Path.GetFileName(log)}");
                await File.WriteAllBytesAsync(path, content, cancellationToken);
                console.MarkupLine($"Wrote {Markup.Escape(path)} ({content.Length} bytes).");
                continue;
            }

            using var output = terminal.OutputFor(console);
            var header = Encoding.UTF8.GetBytes($"==> {node}:{log} <==\n");
            await output.WriteAsync(header, cancellationToken);
            await output.WriteAsync(content, cancellationToken);
            if (content.Length > 0 && content[^1] != '\n')
            {
                await output.WriteAsync("\n"u8.ToArray(), cancellationToken);
            }

            await output.FlushAsync(cancellationToken);
        }

        if (found == 0)
        {
            throw new NodeImagerException(
                $"{node} of cluster '{settings.Name}' has none of the boot logs yet.",
                "cloud-init starts them within a minute or two of boot; try again shortly.");
        }

        return ExitCodes.Ok;
    }
}
