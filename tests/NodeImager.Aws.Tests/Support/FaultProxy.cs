using System.Collections.Concurrent;
using System.Net;
using System.Security;
using System.Text;

namespace NodeImager.Aws.Tests.Support;

/// <summary>
/// An HTTP/1.1 forwarder on 127.0.0.1 in front of the emulator that can make chosen AWS actions fail or lag, so tests
/// see how the tool copes with capacity errors, throttling and slow calls from otherwise real AWS answers. The action
/// comes from X-Amz-Target (JSON services such as SSM) or the query form's Action= (EC2, IAM, STS). Every request is
/// counted per action, failed or forwarded.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    // Hop-by-hop headers belong to one connection and are not forwarded (RFC 9110 7.6.1); lengths are recomputed.
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Expect", "Content-Length",
    };

    private readonly HttpListener listener = new();
    private readonly HttpClient upstreamClient = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(100) };
    private readonly ConcurrentDictionary<string, FaultRule> faults = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TimeSpan> delays = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> calls = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopping = new();
    private readonly Task loop;

    private FaultProxy(Uri upstream, int port)
    {
        Upstream = upstream;
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        listener.Prefixes.Add(Endpoint.ToString());
        listener.Start();
        loop = Task.Run(AcceptLoopAsync);
    }

    public Uri Upstream { get; }

    /// <summary>Where clients point instead of the emulator (ServiceURL, AWS_ENDPOINT_URL).</summary>
    public Uri Endpoint { get; }

    /// <summary>Calls seen per action so far, failed or forwarded.</summary>
    public IReadOnlyDictionary<string, int> CallCounts => new Dictionary<string, int>(calls);

    public static FaultProxy Start(Uri upstream)
    {
        // A port may be taken between probing and binding; try a few.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FaultProxy(upstream, Emulator.FreePort());
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
    }

    public int Calls(string action) => calls.GetValueOrDefault(action);

    /// <summary>
    /// The next <paramref name="times"/> calls of <paramref name="action"/> get <paramref name="status"/> and the AWS
    /// error <paramref name="code"/> in the protocol's own error shape, without reaching the emulator.
    /// </summary>
    public void Fail(string action, int times, HttpStatusCode status, string code, string message = "Injected by FaultProxy") =>
        faults[action] = new FaultRule(times, status, code, message);

    /// <summary>Every call of <paramref name="action"/> waits this long before it is answered.</summary>
    public void Delay(string action, TimeSpan delay) => delays[action] = delay;

    /// <summary>Drops all rules and counts.</summary>
    public void Reset()
    {
        faults.Clear();
        delays.Clear();
        calls.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        listener.Close();
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
        }

        upstreamClient.Dispose();
        stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var request = context.Request;
            using var buffer = new MemoryStream();
            await request.InputStream.CopyToAsync(buffer, stopping.Token);
            var body = buffer.ToArray();
            var (service, action) = Identify(request, body);
            calls.AddOrUpdate(action, 1, (_, n) => n + 1);

            if (delays.TryGetValue(action, out var delay))
            {
                await Task.Delay(delay, stopping.Token);
            }

            if (TakeFault(action) is { } fault)
            {
                await WriteFaultAsync(response, service, request.Headers["X-Amz-Target"] is not null, fault);
                return;
            }

            await ForwardAsync(request, body, response);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The test sees a 502 with the reason rather than a hung client.
            response.StatusCode = (int)HttpStatusCode.BadGateway;
            await WriteAsync(response, "text/plain", "FaultProxy: " + e.Message);
        }
        finally
        {
            response.Close();
        }
    }

    private FaultRule? TakeFault(string action)
    {
        while (faults.TryGetValue(action, out var rule))
        {
            if (rule.Remaining <= 0)
            {
                faults.TryRemove(new KeyValuePair<string, FaultRule>(action, rule));
                return null;
            }

            // Concurrent calls of one action each use up one failure.
            if (faults.TryUpdate(action, rule with { Remaining = rule.Remaining - 1 }, rule))
            {
                return rule;
            }
        }

        return null;
    }

    private async Task ForwardAsync(HttpListenerRequest request, byte[] body, HttpListenerResponse response)
    {
        var target = new Uri(Upstream, request.Url!.PathAndQuery);
        using var forwarded = new HttpRequestMessage(new HttpMethod(request.HttpMethod), target);
        if (body.Length > 0 || request.HttpMethod is "POST" or "PUT")
        {
            forwarded.Content = new ByteArrayContent(body);
        }

        foreach (var name in request.Headers.AllKeys.OfType<string>())
        {
            if (NotForwarded.Contains(name))
            {
                continue;
            }

            var value = request.Headers[name]!;
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                // Kept as the client sent it: SigV4 signs the Host header.
                forwarded.Headers.Host = value;
            }
            else if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                forwarded.Content?.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                forwarded.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var answer = await upstreamClient.SendAsync(forwarded, stopping.Token);
        response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (!NotForwarded.Contains(name))
            {
                response.Headers[name] = string.Join(",", values);
            }
        }

        var bytes = await answer.Content.ReadAsByteArrayAsync(stopping.Token);
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes, stopping.Token);
    }

    private static Task WriteFaultAsync(HttpListenerResponse response, string service, bool json, FaultRule fault)
    {
        var requestId = Guid.NewGuid().ToString();
        response.StatusCode = (int)fault.Status;
        response.Headers["x-amzn-RequestId"] = requestId;
        if (json)
        {
            return WriteAsync(response, "application/x-amz-json-1.1", System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["__type"] = fault.Code, ["message"] = fault.Message }));
        }

        var code = SecurityElement.Escape(fault.Code);
        var message = SecurityElement.Escape(fault.Message);
        // IAM and STS speak the query protocol's ErrorResponse; EC2 has its own Response/Errors shape.
        var xml = service is "iam" or "sts"
            ? $"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{requestId}</RequestId></ErrorResponse>"
            : $"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{requestId}</RequestID></Response>";
        return WriteAsync(response, "text/xml;charset=UTF-8", xml);
    }

    private static async Task WriteAsync(HttpListenerResponse response, string contentType, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        response.ContentType = contentType;
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
    }

    /// <summary>(service, action): service from the SigV4 credential scope, action from the target or the form.</summary>
    internal static (string Service, string Action) Identify(HttpListenerRequest request, byte[] body)
    {
        var service = request.Headers["Authorization"]?.Split("Credential=").ElementAtOrDefault(1)?.Split('/').ElementAtOrDefault(3) ?? "unknown";
        if (request.Headers["X-Amz-Target"] is { } target)
        {
            return (service, target.Split('.').Last());
        }

        var form = System.Web.HttpUtility.ParseQueryString(request.HttpMethod == "GET" ? request.Url?.Query ?? string.Empty : Encoding.UTF8.GetString(body));
        return (service, form["Action"] ?? "unknown");
    }

    private sealed record FaultRule(int Remaining, HttpStatusCode Status, string Code, string Message);
}
