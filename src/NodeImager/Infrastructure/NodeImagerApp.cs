using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NodeImager.Core;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Infrastructure;

/// <summary>Builds the command-line app. Tests call <see cref="Create"/> with a TestConsole and their own services.</summary>
public static class NodeImagerApp
{
    /// <summary>The process environment and working directory, as one service commands read (a seam for tests).</summary>
    public sealed record HostEnvironment(IReadOnlyDictionary<string, string> Variables, string WorkingDirectory, string ToolDirectory);

    public static CommandApp Create(IAnsiConsole console, Action<IServiceCollection>? configureServices = null, HostEnvironment? host = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(console);
        services.AddSingleton(host ?? new HostEnvironment(
            Core.Configuration.ConfigInputs.ProcessEnvironment(), Directory.GetCurrentDirectory(), AppContext.BaseDirectory));
        configureServices?.Invoke(services);
        // Stand-ins for what tests (or the real program) did not register.
        // ssh and logs find nodes by tag, with credentials and region from the standard AWS chain of this environment.
        services.TryAddSingleton<Core.Remote.INodeDirectory>(sp => new Aws.AwsNodeDirectory(sp.GetRequiredService<HostEnvironment>().Variables));
        services.TryAddSingleton(Commands.TerminalStreams.ConsoleOnly);

        var diagnostics = false;
        var app = new CommandApp(new TypeRegistrar(services));
        app.Configure(config =>
        {
            config.SetApplicationName("nodeimager");
            config.Settings.Console = console;
            config.Settings.StrictParsing = true;
            config.CancellationExitCode(ExitCodes.Cancelled);
            config.SetExceptionHandler((exception, _) => Report(console, exception, diagnostics));
            config.SetInterceptor(new DiagnosticsInterceptor(on => diagnostics = on));
            Commands.CommandCatalog.Register(config);
        });
        return app;
    }

    /// <summary>Expected errors: message and hint. Cancellation: 130. Anything else is a bug: say so, show the stack.</summary>
    internal static int Report(IAnsiConsole console, Exception exception, bool diagnostics)
    {
        switch (exception)
        {
            case NodeImagerException expected:
                console.MarkupLine($"[red]Error:[/] {Markup.Escape(expected.Message)}");
                if (expected.Hint is not null)
                {
                    console.MarkupLine($"[yellow]Hint:[/] {Markup.Escape(expected.Hint)}");
                }

                if (diagnostics)
                {
                    console.WriteException(expected.InnerException ?? expected);
                }

                return expected.ExitCode;
            case OperationCanceledException:
                console.MarkupLine("[yellow]Cancelled.[/]");
                return ExitCodes.Cancelled;
            case CommandParseException or CommandRuntimeException:
                console.MarkupLine($"[red]Error:[/] {Markup.Escape(exception.Message)}");
                console.MarkupLine("[yellow]Hint:[/] see `nodeimager --help` or `nodeimager <command> --help`.");
                return ExitCodes.BadInput;
            default:
                console.MarkupLine("[red]This is a bug in NodeImager; please report it with the trace below.[/]");
                console.WriteException(exception);
                return ExitCodes.Failure;
        }
    }

    private sealed class DiagnosticsInterceptor(Action<bool> set) : ICommandInterceptor
    {
        public void Intercept(CommandContext context, CommandSettings settings) =>
            set(settings is GlobalSettings { Diagnostics: true });
    }
}
