using System.Text;
using Amazon.Runtime;
using Amazon.Runtime.Endpoints;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;

namespace NodeImager.Aws.Iam;

/// <summary>
/// Signs one IAM query-API request with AWSSDK.Core's own SigV4 signer (AWS4Signer), so the signature is exactly the
/// one the SDK's clients would compute; only the HTTP transport is ours.
/// </summary>
internal static class IamSigning
{
    public const string SigningRegion = "us-east-1";
    public const string SigningService = "iam";
    private const string FormContentType = "application/x-www-form-urlencoded; charset=utf-8";

    private static readonly AWS4Signer Signer = new();
    private static readonly SigningConfig Config = new();

    public static HttpRequestMessage CreateSignedRequest(Uri endpoint, string form, ImmutableCredentials credentials)
    {
        var body = Encoding.UTF8.GetBytes(form);
        IRequest request = new DefaultRequest(new QueryRequest(), SigningService)
        {
            HttpMethod = "POST",
            Endpoint = endpoint,
            ResourcePath = endpoint.AbsolutePath,
            Content = body,
            AuthenticationRegion = SigningRegion,
            OverrideSigningServiceName = SigningService,
        };
        request.Headers["Content-Type"] = FormContentType;
        if (credentials.UseToken)
        {
            // Signed like the SDK does it: temporary credentials are only valid together with their token.
            request.Headers["X-Amz-Security-Token"] = credentials.Token;
        }

        var result = Signer.SignRequest(request, Config, null, credentials.AccessKey, credentials.SecretKey);

        var message = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        message.Content.Headers.TryAddWithoutValidation("Content-Type", FormContentType);
        foreach (var (name, value) in request.Headers)
        {
            // HttpClient writes Host and the content headers itself, from the same values that were signed.
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            message.Headers.TryAddWithoutValidation(name, value);
        }

        message.Headers.TryAddWithoutValidation("Authorization", result.ForAuthorizationHeader);
        return message;
    }

    /// <summary>The signer wants the SDK's request type; an IAM query request carries nothing of its own.</summary>
    private sealed class QueryRequest : AmazonWebServiceRequest
    {
    }

    /// <summary>The signer reads region, service and clock correction from a client config.</summary>
    private sealed class SigningConfig : ClientConfig
    {
        public SigningConfig()
            : base(new DefaultConfigurationProvider([new DefaultConfiguration()]))
        {
            AuthenticationRegion = SigningRegion;
            AuthenticationServiceName = SigningService;
        }

        public override string ServiceVersion => IamQueryClient.ApiVersion;

        public override string UserAgent => "nodeimager-iam";

        public override string RegionEndpointServiceName => SigningService;

        public override Endpoint DetermineServiceOperationEndpoint(ServiceOperationEndpointParameters parameters) =>
            throw new NotSupportedException("The endpoint is resolved by IamQueryClient.");
    }
}
