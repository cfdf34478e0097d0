using System.Web;
using Amazon;
using Amazon.EC2;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.SecurityToken;
using Amazon.SimpleSystemsManagement;
using NodeImager.Aws.Iam;
using NodeImager.Core;

namespace NodeImager.Aws;

/// <summary>How to reach AWS, from flags; everything not given comes from the standard chain.</summary>
public sealed record AwsOptions(string? Profile = null, string? Region = null, string? EndpointUrl = null, bool Diagnostics = false);

/// <summary>
/// The one client factory: credentials and region from the standard chain (--profile, --region, the AWS_*
/// environment, the shared config and credentials files), and the endpoint override (--endpoint-url, or
/// AWS_ENDPOINT_URL by itself). It reads the environment it is given, not the process's, so tests are hermetic.
/// Missing credentials or region fail here, before any call.
/// </summary>
public sealed class AwsConnection : IDisposable
{
    private AwsConnection(AWSCredentials credentials, string region, string? endpoint, AwsCalls calls)
    {
        Credentials = credentials;
        Region = region;
        Endpoint = endpoint;
        Calls = calls;
        var ec2 = new AmazonEC2Client(credentials, Configure(new AmazonEC2Config()));
        var ssm = new AmazonSimpleSystemsManagementClient(credentials, Configure(new AmazonSimpleSystemsManagementConfig()));
        var sts = new AmazonSecurityTokenServiceClient(credentials, Configure(new AmazonSecurityTokenServiceConfig()));
        calls.Attach(ec2, "ec2");
        calls.Attach(ssm, "ssm");
        calls.Attach(sts, "sts");
        (Ec2, Ssm, Sts) = (ec2, ssm, sts);
    }

    public AWSCredentials Credentials { get; }

    public string Region { get; }

    /// <summary>Null: the service's real endpoint.</summary>
    public string? Endpoint { get; }

    public AwsCalls Calls { get; }

    public IAmazonEC2 Ec2 { get; }

    public IAmazonSimpleSystemsManagement Ssm { get; }

    public IAmazonSecurityTokenService Sts { get; }

    public static AwsConnection Open(AwsOptions options, IReadOnlyDictionary<string, string> environment, AwsCalls? calls = null)
    {
        string? Env(string name) => environment.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

        var home = Env("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var credentialsFile = Env("AWS_SHARED_CREDENTIALS_FILE") ?? Path.Combine(home, ".aws", "credentials");
        var profileName = options.Profile ?? Env("AWS_PROFILE") ?? "default";
        var store = new SharedCredentialsFile(credentialsFile);
        store.TryGetProfile(profileName, out var profile);
        if (profile is null && Env("AWS_CONFIG_FILE") is { } configFile)
        {
            // A profile that lives only in the config file (region, SSO, role_arn).
            new SharedCredentialsFile(configFile).TryGetProfile(profileName, out profile);
        }

        AWSCredentials? credentials = null;
        if (options.Profile is null && Env("AWS_ACCESS_KEY_ID") is { } key && Env("AWS_SECRET_ACCESS_KEY") is { } secret)
        {
            credentials = Env("AWS_SESSION_TOKEN") is { } token ? new SessionAWSCredentials(key, secret, token) : new BasicAWSCredentials(key, secret);
        }
        else if (profile is not null)
        {
            AWSCredentialsFactory.TryGetAWSCredentials(profile, store, out credentials);
        }

        if (credentials is null)
        {
            throw new NodeImagerException(
                options.Profile is not null || Env("AWS_PROFILE") is not null
                    ? $"No AWS credentials found for profile '{profileName}' in {credentialsFile}."
                    : "No AWS credentials found (looked at AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared credentials file).",
                "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure` / `aws sso login` and pass --profile NAME.",
                ExitCodes.BadInput);
        }

        var region = options.Region ?? Env("AWS_REGION") ?? Env("AWS_DEFAULT_REGION") ?? profile?.Region?.SystemName;
        if (region is null)
        {
            throw new NodeImagerException(
                "No AWS region given.",
                "Pass --region (e.g. --region eu-west-1), set AWS_REGION, or set `region` in your AWS profile.",
                ExitCodes.BadInput);
        }

        var endpoint = options.EndpointUrl ?? Env("AWS_ENDPOINT_URL");
        return new AwsConnection(credentials, region, endpoint, calls ?? new AwsCalls { Diagnostics = options.Diagnostics });
    }

    /// <summary>An IAM query client (there is no IAM SDK package here) on this connection's credentials and endpoint,
    /// its requests counted with the SDK clients'. Throttling is retried by <see cref="AwsCalls"/> (one policy for
    /// every service), so the client itself does not retry. The caller disposes it.</summary>
    public IamQueryClient OpenIam() =>
        new(Credentials, new Uri(Endpoint ?? IamQueryClient.DefaultEndpoint), new CountingHandler(Calls) { InnerHandler = new SocketsHttpHandler() })
        {
            MaxThrottleRetries = 0,
        };

    private T Configure<T>(T config)
        where T : ClientConfig
    {
        config.RegionEndpoint = RegionEndpoint.GetBySystemName(Region);
        if (Endpoint is not null)
        {
            config.ServiceURL = Endpoint;
            config.AuthenticationRegion = Region;
        }
        else
        {
            // Only the environment we were given decides the endpoint, not the process's AWS_ENDPOINT_URL.
            config.IgnoreConfiguredEndpointUrls = true;
        }

        // Retries are AwsCalls' job: one backoff policy, and every attempt is counted.
        config.MaxErrorRetry = 0;
        config.Timeout = TimeSpan.FromSeconds(60);
        return config;
    }

    public void Dispose()
    {
        Ec2.Dispose();
        Ssm.Dispose();
        Sts.Dispose();
    }

    /// <summary>Counts each IAM request by its Action, as the SDK clients' requests are counted.</summary>
    private sealed class CountingHandler(AwsCalls calls) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is { } content)
            {
                var body = await content.ReadAsStringAsync(cancellationToken);
                calls.Count("iam", HttpUtility.ParseQueryString(body)["Action"] ?? "unknown");
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
