using System.Collections.Concurrent;
using System.Net;
using Amazon.Runtime;
using NodeImager.Core;

namespace NodeImager.Aws;

/// <summary>An AWS error, said in the tool's words: what it was doing, AWS's error code, a hint, the request id.</summary>
public sealed class AwsCallException(string message, string? hint, string errorCode, string? requestId, AmazonServiceException inner)
    : NodeImagerException(message, hint, ExitCodes.Failure, inner)
{
    public string ErrorCode { get; } = errorCode;

    public string? RequestId { get; } = requestId;
}

/// <summary>
/// The one place every AWS call goes through. It counts requests by service and action (every HTTP request, as the
/// service sees them, including retries and paginator pages), retries throttling with exponential backoff and full
/// jitter, and turns any other service error into an <see cref="AwsCallException"/> that says what the tool was
/// doing. The SDK's own retries are switched off in <see cref="AwsConnection"/> so counts and backoff are ours.
/// </summary>
public sealed class AwsCalls
{
    private static readonly HashSet<string> ThrottlingCodes = new(StringComparer.Ordinal)
    {
        "ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled",
        "RequestThrottledException", "SlowDown",
    };

    private readonly ConcurrentDictionary<string, int> counts = new(StringComparer.Ordinal);

    public int MaxAttempts { get; init; } = 8;

    /// <summary>--diagnostics: error messages carry AWS's request id.</summary>
    public bool Diagnostics { get; init; }

    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Requests sent, by "service:Action" (e.g. "ec2:RunInstances").</summary>
    public IReadOnlyDictionary<string, int> Counts => new SortedDictionary<string, int>(counts, StringComparer.Ordinal);

    public int Throttled { get; private set; }

    /// <summary>Counts every request a client sends, at the wire (so paginator pages and retries are counted too).</summary>
    public void Attach(AmazonServiceClient client, string service)
    {
        client.BeforeRequestEvent += (_, args) =>
        {
            if (args is WebServiceRequestEventArgs web && web.Request is { } request)
            {
                var action = request.GetType().Name;
                action = action.EndsWith("Request", StringComparison.Ordinal) ? action[..^"Request".Length] : action;
                counts.AddOrUpdate($"{service}:{action}", 1, (_, n) => n + 1);
            }
        };
    }

    /// <summary>Counts a request made outside the SDK clients (the IAM query client).</summary>
    public void Count(string service, string action) => counts.AddOrUpdate($"{service}:{action}", 1, (_, n) => n + 1);

    public async Task RunAsync(string doing, Func<CancellationToken, Task> call, CancellationToken cancellationToken) =>
        await RunAsync<bool>(doing, async ct =>
        {
            await call(ct);
            return true;
        }, cancellationToken);

    /// <summary>Runs one call (or one paginated listing); <c>doing</c> says what the tool was doing, e.g. "launching 3 workers".</summary>
    public async Task<T> RunAsync<T>(string doing, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await call(cancellationToken);
            }
            catch (AmazonServiceException e) when (IsThrottling(e) && attempt < MaxAttempts)
            {
                Throttled++;
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
            catch (AmazonServiceException e)
            {
                throw Wrap(doing, e);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                // The SDK's own timeout, not Ctrl-C: say so instead of reporting a cancellation.
                throw new NodeImagerException($"AWS did not answer in time while {doing}.", "Check the network and the endpoint; run again (everything made so far is tagged).", ExitCodes.Failure, e);
            }
            catch (HttpRequestException e)
            {
                throw new NodeImagerException($"AWS could not be reached while {doing}: {e.Message}", "Check the network, --region and --endpoint-url / AWS_ENDPOINT_URL.", ExitCodes.Failure, e);
            }
        }
    }

    /// <summary>A lookup by id (or a delete) where AWS's "not found" answer, one of <paramref name="notFound"/>, is
    /// not an error: nothing is there (or it is already gone), and the result is <paramref name="none"/>.</summary>
    public Task<T> RunAsync<T>(string doing, Func<CancellationToken, Task<T>> call, string[] notFound, T none, CancellationToken cancellationToken) =>
        RunAsync(doing, async ct =>
        {
            try
            {
                return await call(ct);
            }
            catch (AmazonServiceException e) when (notFound.Contains(e.ErrorCode, StringComparer.Ordinal))
            {
                return none;
            }
        }, cancellationToken);

    /// <summary>A delete that succeeds when AWS answers that the thing (one of <paramref name="notFound"/>) is already
    /// gone, so removing twice is the same as removing once.</summary>
    public Task RunAsync(string doing, Func<CancellationToken, Task> call, string[] notFound, CancellationToken cancellationToken) =>
        RunAsync(doing, async ct =>
        {
            await call(ct);
            return true;
        }, notFound, none: false, cancellationToken);

    public static bool IsThrottling(AmazonServiceException e) =>
        ThrottlingCodes.Contains(e.ErrorCode ?? string.Empty) || e.StatusCode == HttpStatusCode.TooManyRequests;

    /// <summary>Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): many nodes or many callers do
    /// not retry in lock step.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }

    internal AwsCallException Wrap(string doing, AmazonServiceException e)
    {
        var code = e.ErrorCode ?? e.StatusCode.ToString();
        var request = Diagnostics && !string.IsNullOrEmpty(e.RequestId) ? $" (request id {e.RequestId})" : string.Empty;
        return new AwsCallException($"AWS refused {doing}: {code}: {e.Message}{request}", HintFor(code, e), code, e.RequestId, e);
    }

    private static string HintFor(string code, AmazonServiceException e)
    {
        if (code.Contains("LimitExceeded", StringComparison.Ordinal) || code.Contains("Quota", StringComparison.Ordinal) || code == "MaxSpotInstanceCountExceeded")
        {
            return "An account quota is reached: ask for a higher limit in Service Quotas, use fewer or smaller nodes, or remove unused resources.";
        }

        if (code.Contains("Capacity", StringComparison.Ordinal) || code == "Unsupported")
        {
            return "EC2 has no capacity for that instance type here right now: try another instance type, subnet (availability zone) or region, or drop --spot.";
        }

        if (code.Contains("AccessDenied", StringComparison.Ordinal) || code.Contains("Unauthorized", StringComparison.Ordinal) || code is "AuthFailure" or "UnrecognizedClientException" or "InvalidClientTokenId" or "SignatureDoesNotMatch" or "ExpiredToken")
        {
            return "The credentials lack a permission, or are wrong or expired: check --profile / AWS_PROFILE and the IAM policy; --diagnostics shows the request id.";
        }

        if (code.StartsWith("Invalid", StringComparison.Ordinal) || e.StatusCode == HttpStatusCode.BadRequest)
        {
            return "AWS rejected a value; check the flags (--region, --subnet-id, --ami, instance types). --diagnostics shows the request id.";
        }

        return "Run again with --diagnostics for the request id and stack trace.";
    }
}
