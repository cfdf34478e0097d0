using System.ComponentModel;
using System.Globalization;
using NodeImager.Aws;
using NodeImager.Cli.Infrastructure;
using NodeImager.Core;
using NodeImager.Core.Orchestration;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Commands;

/// <summary>The AWS flags every cloud command has (up adds them to the cluster flags).</summary>
public interface IAwsFlags
{
    string? Profile { get; }

    string? EndpointUrl { get; }

    bool Stats { get; }

    string? PollInterval { get; }

    bool Diagnostics { get; }
}

/// <summary>Flags of status, down and reap: where AWS is, and nothing about the cluster's shape.</summary>
public class AwsSettings : GlobalSettings, IAwsFlags
{
    [CommandOption("--profile <NAME>")]
    [Description("AWS profile from the shared config/credentials files (default: AWS_PROFILE, or the environment's keys).")]
    public string? Profile { get; init; }

    [CommandOption("--region <REGION>")]
    [Description("AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, or the profile's).")]
    public string? Region { get; init; }

    [CommandOption("--endpoint-url <URL>")]
    [Description("Send every AWS call to this endpoint (an emulator); AWS_ENDPOINT_URL does the same.")]
    public string? EndpointUrl { get; init; }

    [CommandOption("--stats")]
    [Description("At the end, print the AWS requests sent, by service and action.")]
    public bool Stats { get; init; }

    [CommandOption("--poll-interval <SECONDS>", IsHidden = true)]
    [Description("Seconds between polls while waiting (tests use less than the default 5).")]
    public string? PollInterval { get; init; }
}

/// <summary>An open connection to the cloud for one command, and the pieces built on it.</summary>
internal sealed class CloudSession : IDisposable
{
    private readonly IamClusterIdentity identity;

    private CloudSession(AwsConnection connection, IamClusterIdentity identity, IClusterCloud cloud, ClusterFolders folders, TimeSpan pollInterval)
    {
        this.identity = identity;
        Connection = connection;
        Cloud = cloud;
        Folders = folders;
        PollInterval = pollInterval;
    }

    public AwsConnection Connection { get; }

    public IClusterCloud Cloud { get; }

    public ClusterFolders Folders { get; }

    public TimeSpan PollInterval { get; }

    /// <summary>Fails (exit 2) on missing credentials or region before any call is made.</summary>
    public static CloudSession Open(IAwsFlags flags, string? region, NodeImagerApp.HostEnvironment host)
    {
        var poll = TimeSpan.FromSeconds(5);
        if (flags.PollInterval is { } text)
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
            {
                throw new NodeImagerException($"--poll-interval '{text}' is not a positive number of seconds.", exitCode: ExitCodes.BadInput);
            }

            poll = TimeSpan.FromSeconds(seconds);
        }

        var connection = AwsConnection.Open(new AwsOptions(flags.Profile, region, flags.EndpointUrl, flags.Diagnostics), host.Variables);
        var identity = new IamClusterIdentity(connection);
        var cloud = new AwsClusterCloud(connection, identity);
        return new CloudSession(connection, identity, cloud, ClusterFolders.FromEnvironment(host.Variables), poll);
    }

    public ClusterTeardown Teardown() => new(Cloud, Folders, TimeProvider.System)
    {
        PollInterval = PollInterval,
    };

    /// <summary>--stats: what was sent, by service and action, as the services saw it.</summary>
    public void PrintStats(IAnsiConsole console)
    {
        var counts = Connection.Calls.Counts;
        console.WriteLine($"AWS requests: {counts.Values.Sum()} (throttled and retried: {Connection.Calls.Throttled})");
        foreach (var (action, count) in counts)
        {
            console.WriteLine($"  {action} {count}");
        }
    }

    public void Dispose()
    {
        identity.Dispose();
        Connection.Dispose();
    }
}
