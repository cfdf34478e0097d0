using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace NodeImager.Aws.Tests.Support;

/// <summary>
/// The real AWS emulator (moto's server in the trixie chroot), started through tests/tools/emulator.sh on a free
/// loopback port. Tests reach it only as AWS_ENDPOINT_URL, the standard override, and cross-check with the real
/// aws CLI and moto's request recording.
/// </summary>
public sealed class Emulator : IAsyncLifetime
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Dictionary<string, string> extraEnvironment;

    public Emulator()
        : this(new Dictionary<string, string>())
    {
    }

    /// <param name="extraEnvironment">e.g. INITIAL_NO_AUTH_ACTION_COUNT to make moto verify signatures.</param>
    internal Emulator(Dictionary<string, string> extraEnvironment)
    {
        this.extraEnvironment = extraEnvironment;
        Port = FreePort();
    }

    public const string Region = "us-east-1";
    public const string AccessKey = "AKIAIOSFODNN7EXAMPLE";
    public const string SecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public static string RepositoryRoot { get; } = FindRoot();

    public static string ChrootPath => Environment.GetEnvironmentVariable("NODEIMAGER_CHROOT") is { Length: > 0 } p ? p : "/var/cache/nodeimager/trixie";

    /// <summary>What a process needs to talk to the emulator the way it would talk to AWS.</summary>
    public IReadOnlyDictionary<string, string> AwsEnvironment(string? accessKey = null, string? secretKey = null) => new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL"] = Endpoint,
        ["AWS_ACCESS_KEY_ID"] = accessKey ?? AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = secretKey ?? SecretKey,
        ["AWS_REGION"] = Region,
        ["AWS_DEFAULT_REGION"] = Region,
        ["AWS_EC2_METADATA_DISABLED"] = "true",
    };

    public async Task InitializeAsync()
    {
        var env = new Dictionary<string, string>(extraEnvironment) { ["NODEIMAGER_EMULATOR_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var (code, output) = await RunAsync(Path.Combine(RepositoryRoot, "tests", "tools", "emulator.sh"), ["start", env["NODEIMAGER_EMULATOR_PORT"]], env);
        if (code != 0)
        {
            throw new InvalidOperationException($"The emulator did not start (exit {code}): {output}");
        }
    }

    public async Task DisposeAsync() =>
        await RunAsync(Path.Combine(RepositoryRoot, "tests", "tools", "emulator.sh"), ["stop", Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], new Dictionary<string, string>());

    /// <summary>Clears every resource in the emulator.</summary>
    public Task ResetAsync() => PostAsync("/moto-api/reset");

    public async Task StartRecordingAsync()
    {
        await PostAsync("/moto-api/recorder/reset-recording");
        await PostAsync("/moto-api/recorder/start-recording");
    }

    /// <summary>Stops recording and returns what was sent, oldest first.</summary>
    public async Task<IReadOnlyList<RecordedRequest>> StopRecordingAsync()
    {
        await PostAsync("/moto-api/recorder/stop-recording");
        var text = await Http.GetStringAsync($"{Endpoint}/moto-api/recorder/download-recording");
        var requests = new List<RecordedRequest>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            requests.Add(RecordedRequest.Parse(line));
        }

        return requests;
    }

    /// <summary>Runs the real aws CLI (from the chroot) against the emulator; returns its JSON output.</summary>
    public async Task<JsonDocument> AwsCliAsync(params string[] args)
    {
        var (code, output) = await AwsCliRawAsync(args);
        if (code != 0)
        {
            throw new InvalidOperationException($"aws {string.Join(' ', args)} failed ({code}): {output}");
        }

        return JsonDocument.Parse(output.Length == 0 ? "{}" : output);
    }

    /// <summary>
    /// What the real aws CLI still finds of one cluster, one line each ("instance i-...", "IAM role ..."): instances
    /// not terminated, security groups and key pairs by tag, SSM parameters under its path, IAM roles and instance
    /// profiles under its IAM path. Empty once `down` did its job.
    /// </summary>
    public async Task<IReadOnlyList<string>> ClusterLeftoversAsync(string cluster)
    {
        // The real aws CLI is slow to start: ask everything at once.
        var tag = $"Name=tag:nodeimager:cluster,Values={cluster}";
        var instances = AwsCliAsync("ec2", "describe-instances", "--filters", tag, "Name=instance-state-name,Values=pending,running,stopping,stopped,shutting-down");
        var groups = AwsCliAsync("ec2", "describe-security-groups", "--filters", tag);
        var keys = AwsCliAsync("ec2", "describe-key-pairs", "--filters", tag);
        var parameters = AwsCliAsync("ssm", "get-parameters-by-path", "--path", $"/nodeimager/{cluster}", "--recursive");
        var roles = AwsCliAsync("iam", "list-roles", "--path-prefix", $"/nodeimager/{cluster}/");
        var profiles = AwsCliAsync("iam", "list-instance-profiles", "--path-prefix", $"/nodeimager/{cluster}/");
        await Task.WhenAll(instances, groups, keys, parameters, roles, profiles);

        var left = new List<string>();
        void Add(JsonDocument document, string list, string what, string id, Func<string, bool>? keep = null)
        {
            using (document)
            {
                left.AddRange(document.RootElement.GetProperty(list).EnumerateArray()
                    .Select(e => e.GetProperty(id).GetString()!).Where(keep ?? (_ => true)).Select(name => $"{what} {name}"));
            }
        }

        using (var described = await instances)
        {
            left.AddRange(described.RootElement.GetProperty("Reservations").EnumerateArray()
                .SelectMany(r => r.GetProperty("Instances").EnumerateArray()).Select(i => "instance " + i.GetProperty("InstanceId").GetString()));
        }

        Add(await groups, "SecurityGroups", "security group", "GroupId");
        Add(await keys, "KeyPairs", "key pair", "KeyName");
        Add(await parameters, "Parameters", "SSM parameter", "Name");
        Add(await roles, "Roles", "IAM role", "RoleName");
        // moto ignores --path-prefix for instance profiles: match the names.
        Add(await profiles, "InstanceProfiles", "instance profile", "InstanceProfileName", name => name.StartsWith($"nodeimager-{cluster}-", StringComparison.Ordinal));
        return left;
    }

    public Task<(int Code, string Output)> AwsCliRawAsync(params string[] args)
    {
        var env = new Dictionary<string, string>(AwsEnvironment());
        var all = new List<string> { ChrootPath, "env", "-i", "PATH=/usr/bin:/bin", "HOME=/root" };
        all.AddRange(env.Select(kv => $"{kv.Key}={kv.Value}"));
        all.Add("aws");
        all.AddRange(args);
        all.AddRange(["--output", "json"]);
        return RunAsync("chroot", all, new Dictionary<string, string>());
    }

    private async Task PostAsync(string path)
    {
        using var response = await Http.PostAsync(Endpoint + path, new StringContent(string.Empty));
        response.EnsureSuccessStatusCode();
    }

    internal static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> env)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (k, v) in env)
        {
            start.Environment[k] = v;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout;
        var error = await stderr;
        return (process.ExitCode, process.ExitCode == 0 ? output : output + error);
    }

    /// <summary>A port nothing listens on right now, on 127.0.0.1 (for the emulator and the tests' other local servers).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NodeImager.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("NodeImager.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>One request the emulator received: which service and action, and the body as text.</summary>
public sealed record RecordedRequest(string Service, string Action, string Body, IReadOnlyDictionary<string, string> Headers)
{
    public static RecordedRequest Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        var headers = root.GetProperty("headers").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.OrdinalIgnoreCase);
        var body = root.TryGetProperty("body", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString() ?? string.Empty : string.Empty;
        if (root.TryGetProperty("body_encoded", out var enc) && enc.ValueKind == JsonValueKind.True)
        {
            body = Encoding.UTF8.GetString(Convert.FromBase64String(body));
        }

        string service = "unknown", action = "unknown";
        if (headers.TryGetValue("X-Amz-Target", out var target))
        {
            service = target.Split('.')[0];
            action = target.Split('.').Last();
        }
        else
        {
            var form = System.Web.HttpUtility.ParseQueryString(body);
            action = form["Action"] ?? "unknown";
            if (headers.TryGetValue("Authorization", out var auth) && auth.Split("Credential=").ElementAtOrDefault(1) is { } credential)
            {
                service = credential.Split('/').ElementAtOrDefault(3) ?? "unknown";
            }
        }

        return new RecordedRequest(service, action, body, headers);
    }

    /// <summary>A query-API parameter of the request (EC2, IAM): e.g. "MetadataOptions.HttpTokens".</summary>
    public string? Parameter(string name) => System.Web.HttpUtility.ParseQueryString(Body)[name];
}

[CollectionDefinition(Name)]
public sealed class EmulatorCollection : ICollectionFixture<Emulator>
{
    public const string Name = "emulator";
}
