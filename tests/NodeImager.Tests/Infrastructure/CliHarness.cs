using Microsoft.Extensions.DependencyInjection;
using NodeImager.Cli.Infrastructure;
using Spectre.Console.Testing;

namespace NodeImager.Tests.Infrastructure;

/// <summary>Runs the real command-line app in-process against a TestConsole, with its own environment and folder.</summary>
public sealed class CliHarness : IDisposable
{
    public CliHarness()
    {
        WorkingDirectory = Directory.CreateTempSubdirectory("nodeimager-cli-").FullName;
    }

    public string WorkingDirectory { get; }

    public Dictionary<string, string> Environment { get; } = new();

    public TestConsole Console { get; } = new TestConsole().Width(200);

    public Action<IServiceCollection>? Services { get; set; }

    public string Output => Console.Output;

    public async Task<int> RunAsync(params string[] args)
    {
        var app = NodeImagerApp.Create(Console, Services, new NodeImagerApp.HostEnvironment(Environment, WorkingDirectory, AppContext.BaseDirectory));
        return await app.RunAsync(args);
    }

    public void Dispose() => Directory.Delete(WorkingDirectory, recursive: true);
}
