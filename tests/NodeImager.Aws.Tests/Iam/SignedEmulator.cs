using System.Text.Json;
using Amazon.Runtime;
using NodeImager.Aws.Tests.Support;

namespace NodeImager.Aws.Tests.Iam;

/// <summary>
/// A moto instance of its own that checks SigV4 signatures and IAM policies (INITIAL_NO_AUTH_ACTION_COUNT): the first
/// <see cref="FreeActions"/> requests after <see cref="AdminAsync"/> re-arms it are free and create an admin user with
/// an access key; every request after that must be signed with a key moto knows.
/// </summary>
public sealed class SignedEmulator : IAsyncLifetime
{
    public const int FreeActions = 3;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public Emulator Server { get; } = new(new Dictionary<string, string> { ["INITIAL_NO_AUTH_ACTION_COUNT"] = FreeActions.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    public Uri Endpoint => new(Server.Endpoint);

    public Task InitializeAsync() => Server.InitializeAsync();

    public Task DisposeAsync() => Server.DisposeAsync();

    /// <summary>Clears moto, gives back the free actions and spends them on an allow-all IAM user; returns its key.</summary>
    public async Task<BasicAWSCredentials> AdminAsync()
    {
        await Server.ResetAsync();
        // moto-api/reset-auth sets the free-action budget again and restarts its count.
        using (var response = await Http.PostAsync(Server.Endpoint + "/moto-api/reset-auth", new StringContent(FreeActions.ToString(System.Globalization.CultureInfo.InvariantCulture))))
        {
            response.EnsureSuccessStatusCode();
        }

        (await Server.AwsCliAsync("iam", "create-user", "--user-name", "admin")).Dispose();
        (await Server.AwsCliAsync("iam", "put-user-policy", "--user-name", "admin", "--policy-name", "all",
            "--policy-document", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}""")).Dispose();
        using var key = await Server.AwsCliAsync("iam", "create-access-key", "--user-name", "admin");
        var k = key.RootElement.GetProperty("AccessKey");
        return new BasicAWSCredentials(k.GetProperty("AccessKeyId").GetString(), k.GetProperty("SecretAccessKey").GetString());
    }

    /// <summary>The real aws CLI with the given credentials (the fixture's own CLI runner uses the fixed test key).</summary>
    public async Task<(int Code, string Output)> CliAsync(ImmutableCredentials credentials, params string[] args)
    {
        var all = new List<string> { Emulator.ChrootPath, "env", "-i", "PATH=/usr/bin:/bin", "HOME=/root" };
        var env = new Dictionary<string, string>(Server.AwsEnvironment(credentials.AccessKey, credentials.SecretKey));
        if (credentials.UseToken)
        {
            env["AWS_SESSION_TOKEN"] = credentials.Token;
        }

        all.AddRange(env.Select(kv => $"{kv.Key}={kv.Value}"));
        all.Add("aws");
        all.AddRange(args);
        all.AddRange(["--output", "json"]);
        return await Emulator.RunAsync("chroot", all, new Dictionary<string, string>());
    }

    public async Task<JsonDocument> CliJsonAsync(ImmutableCredentials credentials, params string[] args)
    {
        var (code, output) = await CliAsync(credentials, args);
        Assert.True(code == 0, $"aws {string.Join(' ', args)} failed ({code}): {output}");
        return JsonDocument.Parse(output.Length == 0 ? "{}" : output);
    }
}

[CollectionDefinition(Name)]
public sealed class SignedEmulatorCollection : ICollectionFixture<SignedEmulator>
{
    public const string Name = "signed-emulator";
}
