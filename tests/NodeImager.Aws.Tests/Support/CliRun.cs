using System.Text.Json;
using Amazon.EC2.Model;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
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
        Aws = AwsConnection.Open(new AwsOptions(), emulator.AwsEnvironment());
    }

    /// <summary>SDK clients for arranging a test quickly (the real aws CLI, slower, checks the outcome).</summary>
    public AwsConnection Aws { get; }

    /// <summary>NODEIMAGER_HOME and HOME of every run.</summary>
    public string Home { get; }

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(null, CancellationToken.None, args);

    public Task<CliResult> RunAsync(IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken, params string[] args) =>
        RunAsync(environment, null, cancellationToken, args);

    // services: seams the test swaps in, e.g. a node directory that maps nodes to loopback.
    public async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string>? environment, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services, CancellationToken cancellationToken, params string[] args)
    {
        var variables = environment is null ? DefaultEnvironment() : new Dictionary<string, string>(environment);
        var console = new TestConsole();
        console.Profile.Width = 400;
        var host = new NodeImagerApp.HostEnvironment(variables, Home, Emulator.RepositoryRoot);
        var app = NodeImagerApp.Create(console, services, host);
        var code = await app.RunAsync(args, cancellationToken);
        return new CliResult(code, console.Output);
    }

    public Dictionary<string, string> DefaultEnvironment() => new(emulator.AwsEnvironment())
    {
        ["HOME"] = Home,
        ["NODEIMAGER_HOME"] = Home,
    };

    /// <summary>The id of an image the emulator has, for tests about other things than the image lookup.</summary>
    public async Task<string> SomeImageAsync()
    {
        var images = await Aws.Ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["099720109477"] });
        return images.Images.Select(i => i.ImageId).Order(StringComparer.Ordinal).First();
    }

    /// <summary>The cluster's instances as (id, role), once at least <paramref name="count"/> exist.</summary>
    public async Task<List<(string Id, string Role)>> WaitForInstancesAsync(string cluster, int count)
    {
        for (var i = 0; i < 300; i++)
        {
            var described = await Aws.Ec2.DescribeInstancesAsync(new DescribeInstancesRequest { Filters = [new Filter($"tag:nodeimager:cluster", [cluster])] });
            var found = (described.Reservations ?? []).SelectMany(r => r.Instances)
                .Select(x => (x.InstanceId, x.Tags.First(t => t.Key == "nodeimager:role").Value)).ToList();
            if (found.Count >= count)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{cluster}: instances did not appear");
    }

    /// <summary>Writes a status parameter the way a node does (node-side contract).</summary>
    public Task PutStatusAsync(string cluster, string instanceId, string role, string phase, string step, string message = "", string logTail = "") =>
        Aws.Ssm.PutParameterAsync(new PutParameterRequest
        {
            Name = $"/nodeimager/{cluster}/status/{instanceId}",
            Type = ParameterType.String,
            Overwrite = true,
            Value = JsonSerializer.Serialize(new
            {
                instanceId,
                role,
                phase,
                step,
                kubernetesVersion = "1.37.2",
                updatedAt = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                message,
                logTail,
            }),
        });

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
        Aws.Dispose();
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
