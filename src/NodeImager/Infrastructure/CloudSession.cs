using System.Globalization;
using NodeImager.Aws;
using NodeImager.Core;
using NodeImager.Core.Orchestration;
using Spectre.Console;

namespace NodeImager.Cli.Infrastructure;

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

    /// <summary>A command's cloud work on a session of its own; with --stats the requests it sent are printed at the
    /// end, whatever the outcome, so a failed or cancelled run's requests are counted too.</summary>
    public static async Task<int> RunAsync(IAwsFlags flags, string? region, NodeImagerApp.HostEnvironment host, IAnsiConsole console, Func<CloudSession, Task<int>> work)
    {
        using var session = Open(flags, region, host);
        try
        {
            return await work(session);
        }
        finally
        {
            if (flags.Stats)
            {
                session.PrintStats(console);
            }
        }
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
