using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Model;
using NodeImager.Core.Rendering;
using NodeImager.SelfAssembly.Tests.Simulation;
using NodeImager.SelfAssembly.Tests.Support;

namespace NodeImager.SelfAssembly.Tests.Rendered;

/// <summary>The REAL rendered user-data (ClusterRenderer over templates/) launched into the emulator and booted by
/// the simulator; plus what the tests read back: status and join parameters, the CA pin.</summary>
public static partial class RenderedClusterLaunch
{
    [GeneratedRegex(@"[a-z0-9]{6}\.[a-z0-9]{16}")]
    public static partial Regex TokenPattern();

    public static ClusterSpec Spec(string name, int workers, string podCidr = "10.244.0.0/16", TimeSpan? joinTimeout = null) => new()
    {
        Name = name,
        KubernetesVersion = KubernetesReleases.TryParse(KubernetesReleases.Newest.Minor)!,
        Workers = workers,
        InstanceTypes = new InstanceTypes("t3.medium", "t3.medium"),
        PodCidr = Cidr.Parse(podCidr),
        ServiceCidr = Cidr.Parse("10.96.0.0/12"),
        Runtime = RuntimeSpec.Default,
        Image = ImageChoice.Default,
        JoinTimeout = joinTimeout ?? TimeSpan.FromMinutes(30),
    };

    public static RenderedCluster Render(ClusterSpec spec) =>
        new ClusterRenderer(TemplateCatalog.LoadOrThrow(Path.Combine(Emulator.RepositoryRoot, "templates"))).Render(spec, new RenderOptions(ExpiresAt: DateTimeOffset.UtcNow.AddHours(8)));

    /// <summary>Launches the master and workers as `up` would (one RunInstances per node, tagged).</summary>
    public static async Task<RenderedCluster> LaunchAsync(Emulator emulator, ClusterSpec spec)
    {
        var rendered = Render(spec);
        await EmulatedLaunch.RunAsync(emulator, spec.Name, NodeRole.Master, spec.Masters, rendered.Master.UserData);
        await EmulatedLaunch.RunAsync(emulator, spec.Name, NodeRole.Worker, spec.Workers, rendered.Worker.UserData);
        return rendered;
    }

    public static AmazonSimpleSystemsManagementClient Ssm(Emulator emulator) =>
        new(new BasicAWSCredentials(Emulator.AccessKey, Emulator.SecretKey), new AmazonSimpleSystemsManagementConfig { ServiceURL = emulator.Endpoint, AuthenticationRegion = Emulator.Region });

    /// <summary>Every node's status parameter, by instance id.</summary>
    public static async Task<Dictionary<string, JsonElement>> StatusesAsync(Emulator emulator, string cluster)
    {
        using var ssm = Ssm(emulator);
        var statuses = new Dictionary<string, JsonElement>();
        string? next = null;
        do
        {
            var page = await ssm.GetParametersByPathAsync(new GetParametersByPathRequest { Path = ClusterNaming.StatusPath(cluster), NextToken = next });
            foreach (var p in page.Parameters ?? [])
            {
                Assert.Equal(ParameterType.String, p.Type);
                Assert.True(p.Value.Length <= 4096, $"{p.Name} is {p.Value.Length} bytes");
                statuses[p.Name[ClusterNaming.StatusPath(cluster).Length..]] = JsonDocument.Parse(p.Value).RootElement.Clone();
            }

            next = page.NextToken;
        }
        while (!string.IsNullOrEmpty(next));
        return statuses;
    }

    public static async Task<(Parameter Parameter, JsonElement Join)> JoinAsync(Emulator emulator, string cluster)
    {
        using var ssm = Ssm(emulator);
        var response = await ssm.GetParameterAsync(new GetParameterRequest { Name = ClusterNaming.JoinParameter(cluster), WithDecryption = true });
        return (response.Parameter, JsonDocument.Parse(response.Parameter.Value).RootElement.Clone());
    }

    /// <summary>The CA pin computed independently of the stand-ins and the node scripts: sha256 of the DER
    /// SubjectPublicKeyInfo of the cluster's CA certificate.</summary>
    public static string CaHash(SimulatedCluster cluster)
    {
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(cluster.SharedDirectory, "ca.crt"));
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>A failing node's evidence, for assertion messages.</summary>
    public static string Evidence(SimulatedNode node) =>
        $"{node.InstanceId} ({node.Role}) stages {string.Join(", ", node.Stages.Select(s => $"{s.Stage}={s.ExitCode}"))}\n--- cloud-init-output.log ---\n{node.CloudInitOutput}\n--- standins.log ---\n{node.StandInLog}";

    /// <summary>The access key id a recorded request was signed with.</summary>
    public static string? AccessKey(RecordedRequest request) =>
        request.Headers.TryGetValue("Authorization", out var auth) && auth.Split("Credential=").ElementAtOrDefault(1) is { } credential ? credential.Split('/')[0] : null;

    public static DateTimeOffset SignedAt(RecordedRequest request) =>
        DateTimeOffset.ParseExact(request.Headers["X-Amz-Date"], "yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
}
