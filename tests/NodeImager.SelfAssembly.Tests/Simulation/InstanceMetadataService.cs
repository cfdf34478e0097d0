using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace NodeImager.SelfAssembly.Tests.Simulation;

/// <summary>Temporary credentials of the node's role, as STS issued them.</summary>
public sealed record RoleCredentials(string AccessKeyId, string SecretAccessKey, string SessionToken, DateTimeOffset Expiration);

/// <summary>What one instance's metadata service answers.</summary>
public sealed record InstanceMetadata(string InstanceId, string LocalIpv4, string? PublicIpv4, string Region, string AvailabilityZone, string RoleName, string InstanceProfileArn, byte[] UserData)
{
    public string Hostname => $"{ShortHostname}.ec2.internal";

    /// <summary>What `hostname` prints on the instance (and so the Kubernetes node name).</summary>
    public string ShortHostname => $"ip-{LocalIpv4.Replace('.', '-')}";
}

/// <summary>
/// An IMDSv2-like metadata service on a loopback port, one per simulated node: a session token from
/// PUT /latest/api/token (which requires X-aws-ec2-metadata-token-ttl-seconds), then GETs that must carry the token.
/// The instance-profile credentials come from the emulator's STS (the node's role, assumed by the test), so the
/// node's aws CLI gets its credentials exactly the way it does on EC2.
/// </summary>
public sealed class InstanceMetadataService : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly InstanceMetadata metadata;
    private readonly Func<CancellationToken, Task<RoleCredentials>> credentials;
    private readonly ConcurrentDictionary<string, DateTimeOffset> sessions = new();
    private readonly ConcurrentQueue<string> requests = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly Task serving;

    public InstanceMetadataService(InstanceMetadata metadata, Func<CancellationToken, Task<RoleCredentials>> credentials)
    {
        this.metadata = metadata;
        this.credentials = credentials;
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>The value of AWS_EC2_METADATA_SERVICE_ENDPOINT for the node.</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}/";

    /// <summary>"METHOD PATH STATUS", oldest first.</summary>
    public IReadOnlyList<string> Requests => [.. requests];

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        try
        {
            await serving;
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException or OperationCanceledException)
        {
        }

        listener.Dispose();
        stopping.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(client));
        }
    }

    // A deliberately small HTTP/1.1 server (one request per connection): HttpListener insists on a Content-Length
    // for PUT, which IMDS does not, and curl -X PUT sends none.
    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream);
                if (head is null)
                {
                    return;
                }

                var lines = head.Split("\r\n");
                var first = lines[0].Split(' ');
                var method = first[0];
                var path = first.Length > 1 ? first[1].Split('?')[0] : "/";
                var headers = new System.Collections.Specialized.NameValueCollection(StringComparer.OrdinalIgnoreCase);
                foreach (var line in lines.Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal)))
                {
                    headers.Add(line[..line.IndexOf(':', StringComparison.Ordinal)].Trim(), line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
                }

                int status;
                string body;
                try
                {
                    (status, body) = await RouteAsync(method, path, headers);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    (status, body) = (500, e.Message);
                }

                requests.Enqueue($"{method} {path} {status}");
                var bytes = Encoding.UTF8.GetBytes(body);
                var reason = status switch { 200 => "OK", 400 => "Bad Request", 401 => "Unauthorized", 403 => "Forbidden", 404 => "Not Found", 405 => "Method Not Allowed", _ => "Error" };
                var response = $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
                await stream.WriteAsync(bytes);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // The client went away.
            }
        }
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 16384)
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return null;
            }

            buffer.Add(one[0]);
            if (buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n')
            {
                var head = Encoding.ASCII.GetString([.. buffer]);
                // Drain a body, if any (IMDS requests have none that matter).
                var length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                if (length is not null && int.TryParse(length["Content-Length:".Length..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
                {
                    var body = new byte[n];
                    await stream.ReadExactlyAsync(body);
                }

                return head.TrimEnd('\r', '\n');
            }
        }

        return null;
    }

    private async Task<(int Status, string Body)> RouteAsync(string method, string path, System.Collections.Specialized.NameValueCollection headers)
    {
        if (path == "/latest/api/token")
        {
            if (method != "PUT")
            {
                return (405, "Method Not Allowed");
            }

            // Real IMDS refuses forwarded requests: a token must not be obtainable through a proxy.
            if (headers["X-Forwarded-For"] is not null)
            {
                return (403, "Forbidden");
            }

            if (!int.TryParse(headers["X-aws-ec2-metadata-token-ttl-seconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var ttl) || ttl is < 1 or > 21600)
            {
                return (400, "Bad Request: X-aws-ec2-metadata-token-ttl-seconds between 1 and 21600 is required");
            }

            var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(42));
            sessions[token] = DateTimeOffset.UtcNow.AddSeconds(ttl);
            return (200, token);
        }

        if (method != "GET")
        {
            return (405, "Method Not Allowed");
        }

        // IMDSv2 only (HttpTokens=required): no token, no answer.
        if (headers["X-aws-ec2-metadata-token"] is not { } presented || !sessions.TryGetValue(presented, out var expiry) || expiry < DateTimeOffset.UtcNow)
        {
            return (401, "Unauthorized");
        }

        var m = metadata;
        switch (path)
        {
            case "/latest/meta-data/instance-id": return (200, m.InstanceId);
            case "/latest/meta-data/local-ipv4": return (200, m.LocalIpv4);
            case "/latest/meta-data/public-ipv4": return m.PublicIpv4 is { } ip ? (200, ip) : (404, "Not Found");
            case "/latest/meta-data/placement/region": return (200, m.Region);
            case "/latest/meta-data/placement/availability-zone": return (200, m.AvailabilityZone);
            case "/latest/meta-data/hostname" or "/latest/meta-data/local-hostname": return (200, m.Hostname);
            case "/latest/meta-data/iam/info":
                return (200, JsonSerializer.Serialize(new Dictionary<string, string> { ["Code"] = "Success", ["InstanceProfileArn"] = m.InstanceProfileArn, ["InstanceProfileId"] = "AIPA" + m.InstanceId.ToUpperInvariant()[2..] }));
            case "/latest/meta-data/iam/security-credentials/": return (200, m.RoleName);
            case "/latest/user-data": return (200, Encoding.UTF8.GetString(m.UserData));
            case "/latest/dynamic/instance-identity/document":
                return (200, JsonSerializer.Serialize(new Dictionary<string, string> { ["instanceId"] = m.InstanceId, ["region"] = m.Region, ["availabilityZone"] = m.AvailabilityZone, ["privateIp"] = m.LocalIpv4 }));
        }

        if (path == $"/latest/meta-data/iam/security-credentials/{m.RoleName}")
        {
            var c = await credentials(stopping.Token);
            return (200, JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["Code"] = "Success",
                ["LastUpdated"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                ["Type"] = "AWS-HMAC",
                ["AccessKeyId"] = c.AccessKeyId,
                ["SecretAccessKey"] = c.SecretAccessKey,
                ["Token"] = c.SessionToken,
                ["Expiration"] = c.Expiration.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            }));
        }

        return (404, "Not Found");
    }
}
