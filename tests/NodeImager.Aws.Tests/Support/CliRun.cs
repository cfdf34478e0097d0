using System.Text.Json;
using NodeImager.Cli.Infrastructure;
using Spectre.Console.Testing;

namespace NodeImager.Aws.Tests.Support;

/// <summary>What one in-process run of the CLI returned and printed.</summary>
public sealed record CliResult(int ExitCode, string Output)
{
    public override string ToString() => $"exit {ExitCode}:\n{Output}";
}

/// <summary>
/// Runs the real CLI in-process (NodeImagerApp.Create with a TestConsole) against the emulator: the environment it
/// sees is only what the test gives it (AWS_ENDPOINT_URL, keys, region, a private NODEIMAGER_HOME), never the
/// test process's.
/// </summary>
public sealed class CliRun : IDisposable
{
    private readonly Emulator emulator;

    public CliRun(Emulator emulator)
    {
        this.emulator = emulator;
        Home = Directory.CreateTempSubdirectory("nodeimager-test-").FullName;
    }

    /// <summary>NODEIMAGER_HOME and HOME of every run.</summary>
    public string Home { get; }

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(null, CancellationToken.None, args);

    public async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken, params string[] args)
    {
        var variables = environment is null ? DefaultEnvironment() : new Dictionary<string, string>(environment);
        var console = new TestConsole();
        console.Profile.Width = 400;
        var host = new NodeImagerApp.HostEnvironment(variables, Home, Emulator.RepositoryRoot);
        var app = NodeImagerApp.Create(console, null, host);
        var code = await app.RunAsync(args, cancellationToken);
        return new CliResult(code, console.Output);
    }

    public Dictionary<string, string> DefaultEnvironment() => new(emulator.AwsEnvironment())
    {
        ["HOME"] = Home,
        ["NODEIMAGER_HOME"] = Home,
    };

    /// <summary>The id of an image the emulator has (it lacks Canonical's 24.04 parameter and images).</summary>
    public async Task<string> SomeImageAsync()
    {
        using var images = await emulator.AwsCliAsync("ec2", "describe-images", "--owners", "099720109477");
        return images.RootElement.GetProperty("Images").EnumerateArray().Select(i => i.GetProperty("ImageId").GetString()!).Order(StringComparer.Ordinal).First();
    }

    /// <summary>`up --no-wait` with the flags every test needs (admin CIDR, an image the emulator has).</summary>
    public async Task<CliResult> UpAsync(string name, params string[] extra)
    {
        var args = new List<string> { "up", "--name", name, "--admin-cidr", "203.0.113.7/32", "--ami", await SomeImageAsync(), "--poll-interval", "0.1" };
        args.AddRange(extra);
        return await RunAsync([.. args]);
    }

    public static IEnumerable<JsonElement> Instances(JsonDocument describeInstances) =>
        describeInstances.RootElement.GetProperty("Reservations").EnumerateArray().SelectMany(r => r.GetProperty("Instances").EnumerateArray());

    public static string? Tag(JsonElement resource, string key) =>
        resource.TryGetProperty("Tags", out var tags)
            ? tags.EnumerateArray().Where(t => t.GetProperty("Key").GetString() == key).Select(t => t.GetProperty("Value").GetString()).FirstOrDefault()
            : null;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
