using System.Net;
using System.Text;
using Amazon.Runtime;
using NodeImager.Aws.Iam;

namespace NodeImager.Aws.Tests.Iam;

/// <summary>Transport behaviour with a scripted handler: throttling, error shapes, cancellation, endpoint choice.</summary>
public sealed class IamQueryClientRetryTests
{
    private const string Throttled = """
        <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
          <Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>
          <RequestId>req-throttled</RequestId>
        </ErrorResponse>
        """;

    private const string RoleAnswer = """
        <GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
          <GetRoleResult><Role><Path>/nodeimager/a/</Path><RoleName>r</RoleName><RoleId>AROA1</RoleId>
            <Arn>arn:aws:iam::1:role/nodeimager/a/r</Arn>
            <Tags><member><Key>nodeimager:cluster</Key><Value>a</Value></member></Tags></Role></GetRoleResult>
          <ResponseMetadata><RequestId>req-ok</RequestId></ResponseMetadata>
        </GetRoleResponse>
        """;

    [Fact]
    public async Task Throttling_is_retried_until_it_clears()
    {
        var handler = new ScriptedHandler((HttpStatusCode.BadRequest, Throttled), (HttpStatusCode.TooManyRequests, "busy"), (HttpStatusCode.OK, RoleAnswer));
        using var iam = Client(handler);

        var role = await iam.GetRoleAsync("r", CancellationToken.None);

        Assert.Equal(("r", "a"), (role.RoleName, role.Tags["nodeimager:cluster"]));
        Assert.Equal(3, handler.Requests.Count);
        // Each attempt is signed afresh (SigV4 signatures carry their time).
        Assert.All(handler.Requests, r => Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDTEST/", r.Authorization, StringComparison.Ordinal));
        Assert.All(handler.Requests, r => Assert.Contains("/us-east-1/iam/aws4_request", r.Authorization, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Throttling_that_does_not_clear_surfaces_after_the_retries_as_the_IAM_error()
    {
        var handler = new ScriptedHandler(Enumerable.Repeat((HttpStatusCode.BadRequest, Throttled), 10).ToArray());
        using var iam = Client(handler);

        var error = await Assert.ThrowsAsync<AmazonServiceException>(() => iam.GetRoleAsync("r", CancellationToken.None));

        Assert.Equal(("Throttling", ErrorType.Sender, HttpStatusCode.BadRequest, "req-throttled"), (error.ErrorCode, error.ErrorType, error.StatusCode, error.RequestId));
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task Other_errors_are_not_retried()
    {
        var handler = new ScriptedHandler((HttpStatusCode.NotFound, Throttled.Replace("Throttling", "NoSuchEntity", StringComparison.Ordinal)));
        using var iam = Client(handler);

        var error = await Assert.ThrowsAsync<AmazonServiceException>(() => iam.GetRoleAsync("r", CancellationToken.None));

        Assert.Equal("NoSuchEntity", error.ErrorCode);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Cancellation_stops_the_backoff()
    {
        var handler = new ScriptedHandler(Enumerable.Repeat((HttpStatusCode.ServiceUnavailable, "down"), 10).ToArray());
        using var iam = new IamQueryClient(new BasicAWSCredentials("AKIDTEST", "secret"), new Uri("http://127.0.0.1:9/"), handler) { ThrottleBackoff = TimeSpan.FromMinutes(5) };
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => iam.GetRoleAsync("r", cts.Token));

        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task The_request_is_IAMs_query_form_with_tags_as_members()
    {
        var handler = new ScriptedHandler((HttpStatusCode.OK, RoleAnswer.Replace("GetRole", "CreateRole", StringComparison.Ordinal)));
        using var iam = Client(handler);

        await iam.CreateRoleAsync("r", "/nodeimager/a/", "{\"a\":1}", new Dictionary<string, string> { ["k"] = "v w" }, CancellationToken.None);

        var form = System.Web.HttpUtility.ParseQueryString(handler.Requests[0].Body);
        Assert.Equal(("CreateRole", "2010-05-08", "/nodeimager/a/", "{\"a\":1}"), (form["Action"], form["Version"], form["Path"], form["AssumeRolePolicyDocument"]));
        Assert.Equal(("k", "v w"), (form["Tags.member.1.Key"], form["Tags.member.1.Value"]));
    }

    [Theory]
    [InlineData("http://iam.local:1", "http://other:2", "http://iam.local:1/")]
    [InlineData(null, "http://other:2", "http://other:2/")]
    [InlineData(null, null, "https://iam.amazonaws.com/")]
    public void The_endpoint_follows_the_standard_overrides(string? iamOverride, string? generalOverride, string expected)
    {
        var env = new Dictionary<string, string?> { ["AWS_ENDPOINT_URL_IAM"] = iamOverride, ["AWS_ENDPOINT_URL"] = generalOverride };

        Assert.Equal(expected, IamQueryClient.ResolveEndpoint(n => env.GetValueOrDefault(n)).ToString());
    }

    private static IamQueryClient Client(HttpMessageHandler handler) =>
        new(new BasicAWSCredentials("AKIDTEST", "secret"), new Uri("http://127.0.0.1:9/"), handler) { MaxThrottleRetries = 2, ThrottleBackoff = TimeSpan.FromMilliseconds(1) };

    private sealed record SentRequest(string Authorization, string Body);

    private sealed class ScriptedHandler(params (HttpStatusCode Status, string Body)[] answers) : HttpMessageHandler
    {
        public List<SentRequest> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            var (status, text) = answers[Requests.Count];
            Requests.Add(new SentRequest(request.Headers.NonValidated.TryGetValues("Authorization", out var auth) ? auth.ToString() : string.Empty, body));
            return new HttpResponseMessage(status) { Content = new StringContent(text, Encoding.UTF8, "text/xml") };
        }
    }
}
