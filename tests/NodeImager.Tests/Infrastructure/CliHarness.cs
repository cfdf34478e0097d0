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

    /// <summary>No AWS credentials anywhere (HOME and the shared credentials file point into the harness's folder), so
    /// a run can never reach a real AWS account, even on a workstation that has some.</summary>
    public static CliHarness WithoutAwsCredentials()
    {
        var harness = new CliHarness();
        harness.Environment["HOME"] = harness.WorkingDirectory;
        harness.Environment["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(harness.WorkingDirectory, "no-credentials");
        return harness;
    }

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
