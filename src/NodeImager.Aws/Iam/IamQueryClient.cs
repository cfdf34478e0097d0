using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;
using Amazon.Runtime;

namespace NodeImager.Aws.Iam;

/// <summary>A role as IAM describes it; <see cref="CreateDate"/> is null only if an answer lacks it.</summary>
public sealed record IamRole(string RoleName, string RoleId, string Arn, string Path, IReadOnlyDictionary<string, string> Tags, DateTimeOffset? CreateDate = null);

public sealed record IamInstanceProfile(
    string InstanceProfileName,
    string InstanceProfileId,
    string Arn,
    string Path,
    IReadOnlyList<string> RoleNames,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>
/// IAM's query API (form POST, XML answers) over HttpClient. NuGet's AWSSDK.IdentityManagement is not served to this
/// project, so the few operations NodeImager needs are spoken directly; signing stays with AWSSDK.Core's SigV4 signer
/// and errors surface as <see cref="AmazonServiceException"/>, so the rest of the tool treats IAM like any SDK client.
/// </summary>
public sealed class IamQueryClient : IDisposable
{
    public const string ApiVersion = "2010-05-08";
    public const string DefaultEndpoint = "https://iam.amazonaws.com";

    private readonly AWSCredentials credentials;
    private readonly HttpClient http;

    public IamQueryClient(AWSCredentials credentials, Uri? endpoint = null, HttpMessageHandler? handler = null)
    {
        this.credentials = credentials;
        Endpoint = endpoint ?? ResolveEndpoint(Environment.GetEnvironmentVariable);
        http = handler is null ? new HttpClient() : new HttpClient(handler);
        http.Timeout = TimeSpan.FromSeconds(60);
    }

    public Uri Endpoint { get; }

    /// <summary>How often a throttled call (Throttling, HTTP 429/503) is tried again before the error is thrown.</summary>
    public int MaxThrottleRetries { get; init; } = 4;

    /// <summary>First backoff step; later steps double, each jittered.</summary>
    public TimeSpan ThrottleBackoff { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>MaxItems for list calls; unset leaves IAM's default page (100).</summary>
    public int? PageSize { get; init; }

    /// <summary>The standard override chain: AWS_ENDPOINT_URL_IAM, then AWS_ENDPOINT_URL, else IAM's global endpoint.</summary>
    public static Uri ResolveEndpoint(Func<string, string?> environment)
    {
        foreach (var name in new[] { "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL" })
        {
            if (environment(name) is { Length: > 0 } value)
            {
                return new Uri(value);
            }
        }

        return new Uri(DefaultEndpoint);
    }

    public async Task<IamRole> CreateRoleAsync(string roleName, string path, string assumeRolePolicyDocument, IReadOnlyDictionary<string, string> tags, CancellationToken ct)
    {
        var p = new List<KeyValuePair<string, string>> { new("RoleName", roleName), new("Path", path), new("AssumeRolePolicyDocument", assumeRolePolicyDocument) };
        AddTags(p, tags);
        var doc = await CallAsync("CreateRole", p, ct);
        return ReadRole(Single(doc, "Role"));
    }

    public async Task<IamRole> GetRoleAsync(string roleName, CancellationToken ct)
    {
        var doc = await CallAsync("GetRole", [new("RoleName", roleName)], ct);
        return ReadRole(Single(doc, "Role"));
    }

    public Task PutRolePolicyAsync(string roleName, string policyName, string policyDocument, CancellationToken ct) =>
        CallAsync("PutRolePolicy", [new("RoleName", roleName), new("PolicyName", policyName), new("PolicyDocument", policyDocument)], ct);

    public async Task<IReadOnlyList<string>> ListRolePoliciesAsync(string roleName, CancellationToken ct)
    {
        var names = new List<string>();
        await PageAsync("ListRolePolicies", [new("RoleName", roleName)], doc =>
            names.AddRange(Children(Single(doc, "PolicyNames"), "member").Select(m => m.Value)), ct);
        return names;
    }

    public Task DeleteRolePolicyAsync(string roleName, string policyName, CancellationToken ct) =>
        CallAsync("DeleteRolePolicy", [new("RoleName", roleName), new("PolicyName", policyName)], ct);

    public Task DeleteRoleAsync(string roleName, CancellationToken ct) =>
        CallAsync("DeleteRole", [new("RoleName", roleName)], ct);

    public async Task<IamInstanceProfile> CreateInstanceProfileAsync(string profileName, string path, IReadOnlyDictionary<string, string> tags, CancellationToken ct)
    {
        var p = new List<KeyValuePair<string, string>> { new("InstanceProfileName", profileName), new("Path", path) };
        AddTags(p, tags);
        var doc = await CallAsync("CreateInstanceProfile", p, ct);
        return ReadProfile(Single(doc, "InstanceProfile"));
    }

    public async Task<IamInstanceProfile> GetInstanceProfileAsync(string profileName, CancellationToken ct)
    {
        var doc = await CallAsync("GetInstanceProfile", [new("InstanceProfileName", profileName)], ct);
        return ReadProfile(Single(doc, "InstanceProfile"));
    }

    public Task AddRoleToInstanceProfileAsync(string profileName, string roleName, CancellationToken ct) =>
        CallAsync("AddRoleToInstanceProfile", [new("InstanceProfileName", profileName), new("RoleName", roleName)], ct);

    public Task RemoveRoleFromInstanceProfileAsync(string profileName, string roleName, CancellationToken ct) =>
        CallAsync("RemoveRoleFromInstanceProfile", [new("InstanceProfileName", profileName), new("RoleName", roleName)], ct);

    public Task DeleteInstanceProfileAsync(string profileName, CancellationToken ct) =>
        CallAsync("DeleteInstanceProfile", [new("InstanceProfileName", profileName)], ct);

    /// <summary>Roles under a path prefix. IAM's list answers carry no tags; use <see cref="GetRoleAsync"/> for them.</summary>
    public async Task<IReadOnlyList<IamRole>> ListRolesAsync(string pathPrefix, CancellationToken ct)
    {
        var roles = new List<IamRole>();
        await PageAsync("ListRoles", [new("PathPrefix", pathPrefix)], doc =>
            roles.AddRange(Children(Single(doc, "Roles"), "member").Select(ReadRole)), ct);
        return roles;
    }

    public async Task<IReadOnlyList<IamInstanceProfile>> ListInstanceProfilesAsync(string pathPrefix, CancellationToken ct)
    {
        var profiles = new List<IamInstanceProfile>();
        await PageAsync("ListInstanceProfiles", [new("PathPrefix", pathPrefix)], doc =>
            profiles.AddRange(Children(Single(doc, "InstanceProfiles"), "member").Select(ReadProfile)), ct);
        return profiles;
    }

    public void Dispose() => http.Dispose();

    private async Task PageAsync(string action, List<KeyValuePair<string, string>> parameters, Action<XElement> read, CancellationToken ct)
    {
        string? marker = null;
        do
        {
            var p = new List<KeyValuePair<string, string>>(parameters);
            if (PageSize is { } size)
            {
                p.Add(new("MaxItems", size.ToString(CultureInfo.InvariantCulture)));
            }

            if (marker is not null)
            {
                p.Add(new("Marker", marker));
            }

            var doc = await CallAsync(action, p, ct);
            read(doc);
            var truncated = Optional(doc, "IsTruncated") == "true";
            marker = truncated ? Optional(doc, "Marker") : null;
        }
        while (marker is not null);
    }

    /// <summary>Sends one action and returns its result element (e.g. CreateRoleResult); throws IAM's error.</summary>
    private async Task<XElement> CallAsync(string action, IReadOnlyList<KeyValuePair<string, string>> parameters, CancellationToken ct)
    {
        var form = new StringBuilder($"Action={action}&Version={ApiVersion}");
        foreach (var (key, value) in parameters)
        {
            form.Append('&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        }

        for (var attempt = 0; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            // Resolved per attempt: refreshing credentials (assumed roles, SSO) renew themselves here.
            var immutable = await credentials.GetCredentialsAsync();
            using var request = IamSigning.CreateSignedRequest(Endpoint, form.ToString(), immutable);
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                var root = XDocument.Parse(text).Root ?? throw new AmazonServiceException($"IAM {action} answered an empty document.");
                return Children(root, action + "Result").FirstOrDefault() ?? root;
            }

            var error = ReadError(action, response.StatusCode, text);
            if (attempt < MaxThrottleRetries && IsThrottle(error))
            {
                await Task.Delay(Backoff(attempt), ct);
                continue;
            }

            throw error;
        }
    }

    private static bool IsThrottle(AmazonServiceException error) =>
        error.ErrorCode == "Throttling" || error.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable;

    private TimeSpan Backoff(int attempt)
    {
        // Full jitter: callers that were throttled together do not come back together.
        var ceiling = ThrottleBackoff.TotalMilliseconds * Math.Pow(2, attempt);
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    internal static AmazonServiceException ReadError(string action, HttpStatusCode status, string text)
    {
        string? code = null, message = null, type = null, requestId = null;
        try
        {
            var root = XDocument.Parse(text).Root;
            var error = root?.Descendants().FirstOrDefault(e => e.Name.LocalName == "Error");
            code = error is null ? null : Optional(error, "Code");
            message = error is null ? null : Optional(error, "Message");
            type = error is null ? null : Optional(error, "Type");
            requestId = root?.Descendants().FirstOrDefault(e => e.Name.LocalName is "RequestId" or "RequestID")?.Value;
        }
        catch (System.Xml.XmlException)
        {
            // Not IAM's XML (a proxy or load balancer answered): keep the status and the text.
            message = text.Length > 300 ? text[..300] : text;
        }

        var errorType = type switch
        {
            "Sender" => ErrorType.Sender,
            "Receiver" => ErrorType.Receiver,
            _ when (int)status >= 500 => ErrorType.Receiver,
            _ when (int)status >= 400 => ErrorType.Sender,
            _ => ErrorType.Unknown,
        };
        code ??= status.ToString();
        var text2 = string.Create(CultureInfo.InvariantCulture, $"IAM {action} failed: {code}: {message}");
        return new AmazonServiceException(text2, errorType, code, requestId, status);
    }

    private static void AddTags(List<KeyValuePair<string, string>> parameters, IReadOnlyDictionary<string, string> tags)
    {
        var i = 1;
        foreach (var (key, value) in tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            parameters.Add(new($"Tags.member.{i}.Key", key));
            parameters.Add(new($"Tags.member.{i}.Value", value));
            i++;
        }
    }

    private static IamRole ReadRole(XElement e) => new(
        Required(e, "RoleName"),
        Required(e, "RoleId"),
        Required(e, "Arn"),
        Required(e, "Path"),
        ReadTags(e),
        DateTimeOffset.TryParse(Optional(e, "CreateDate"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created) ? created : null);

    private static IamInstanceProfile ReadProfile(XElement e) => new(
        Required(e, "InstanceProfileName"),
        Required(e, "InstanceProfileId"),
        Required(e, "Arn"),
        Required(e, "Path"),
        Children(e, "Roles").SelectMany(r => Children(r, "member")).Select(m => Required(m, "RoleName")).ToList(),
        ReadTags(e));

    private static Dictionary<string, string> ReadTags(XElement e) =>
        Children(e, "Tags").SelectMany(t => Children(t, "member"))
            .ToDictionary(m => Required(m, "Key"), m => Optional(m, "Value") ?? string.Empty, StringComparer.Ordinal);

    // IAM answers in its own XML namespace (and moto sometimes in none): match by local name only.
    private static IEnumerable<XElement> Children(XElement e, string name) => e.Elements().Where(c => c.Name.LocalName == name);

    private static XElement Single(XElement e, string name) =>
        Children(e, name).FirstOrDefault() ?? throw new AmazonServiceException($"IAM answer without <{name}>: {e}");

    private static string? Optional(XElement e, string name) => Children(e, name).FirstOrDefault()?.Value;

    private static string Required(XElement e, string name) => Optional(e, name) ?? throw new AmazonServiceException($"IAM answer without <{name}>: {e}");
}
