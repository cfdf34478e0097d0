using System.ComponentModel;
using Spectre.Console.Cli;

namespace NodeImager.Cli.Infrastructure;

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
