using System.Collections.Concurrent;
using System.Globalization;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using NodeImager.Aws.Iam;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Model;

namespace NodeImager.SelfAssembly.Tests.Simulation;

/// <summary>What the stand-ins expect of the cluster (from the ClusterSpec the test rendered), and how they behave.</summary>
public sealed record SimulationSettings
{
    public required Cidr PodCidr { get; init; }

    public Cidr? ServiceCidr { get; init; }

    public KubernetesRelease Release { get; init; } = KubernetesReleases.Newest;

    /// <summary>apt-cache madison offers patches 0..NewestPatch of the minor.</summary>
    public int NewestPatch { get; init; } = 2;

    public string ContainerdVersion { get; init; } = "2.1.5";

    /// <summary>Per role, the stand-in operations that fail (e.g. "kubeadm-init").</summary>
    public IReadOnlyDictionary<NodeRole, string> Failures { get; init; } = new Dictionary<NodeRole, string>();

    /// <summary>SIM_DELAY_* seconds per stand-in operation (zero in tests; realistic in the benchmark).</summary>
    public IReadOnlyDictionary<string, double> Delays { get; init; } = new Dictionary<string, double>();

    /// <summary>A golden image's file system (from <see cref="SimulatedCluster.SnapshotImage"/>), laid under the node
    /// as its AMI; null for stock Ubuntu.</summary>
    public string? ImageLayer { get; init; }

    public static SimulationSettings For(ClusterSpec spec) => new()
    {
        PodCidr = spec.PodCidr,
        ServiceCidr = spec.ServiceCidr,
        Release = spec.KubernetesVersion.Release,
        NewestPatch = spec.KubernetesVersion.Patch is { } p ? Math.Max(p, 2) : 2,
    };
}

/// <summary>
/// The instances the emulator reports for one cluster (by tag nodeimager:cluster), each attached to a simulated
/// node that runs the instance's real user-data. Nodes boot when the test says so (all at once, or workers long
/// before the master); the cluster-wide directory stands for what the API server would know, and its clock can be
/// moved forward to make tokens age.
/// </summary>
public sealed class SimulatedCluster : IAsyncDisposable
{
    private static readonly Lazy<Task<string>> Layer = new(async () =>
        (await HostCommand.RunAsync(System.IO.Path.Combine(Emulator.RepositoryRoot, "tests", "tools", "sim", "layer.sh"))).EnsureSuccess("tests/tools/sim/layer.sh").Output.Trim().Split('\n')[^1]);

    private readonly List<SimulatedNode> nodes = [];
    private readonly CancellationTokenSource running = new();

    private SimulatedCluster(string name, string sharedDirectory, Emulator emulator)
    {
        Name = name;
        SharedDirectory = sharedDirectory;
        Emulator = emulator;
    }

    public string Name { get; }

    /// <summary>The cluster-wide directory (/run/sim-cluster in every node): tokens, CA, endpoint, clock offset.</summary>
    public string SharedDirectory { get; }

    public Emulator Emulator { get; }

    public IReadOnlyList<SimulatedNode> Nodes => nodes;

    public SimulatedNode Master => nodes.Single(n => n.RoleTag == "master");

    public IReadOnlyList<SimulatedNode> Workers => [.. nodes.Where(n => n.RoleTag == "worker")];

    /// <summary>Golden-image builders (tag nodeimager:role=builder).</summary>
    public IReadOnlyList<SimulatedNode> Builders => [.. nodes.Where(n => n.RoleTag == "builder")];

    /// <summary>Finds the cluster's running instances and prepares a node for each (nothing boots yet).</summary>
    public static async Task<SimulatedCluster> AttachAsync(Emulator emulator, string name, SimulationSettings settings, CancellationToken cancellationToken = default)
    {
        var layer = await Layer.Value;
        var shared = Directory.CreateTempSubdirectory($"nodeimager-sim-cluster-{name}-").FullName;
        var cluster = new SimulatedCluster(name, shared, emulator);
        try
        {
            // Prepared side by side: each needs a few emulator round trips and a mount.
            var prepared = await Task.WhenAll((await DescribeAsync(emulator, name, cancellationToken)).Select(i => cluster.PrepareNodeAsync(i, settings, layer, cancellationToken)));
            cluster.nodes.AddRange(prepared);

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Prepares nodes for instances launched after the cluster was attached (a worker added later).</summary>
    public async Task<IReadOnlyList<SimulatedNode>> AttachNewAsync(SimulationSettings settings, CancellationToken cancellationToken = default)
    {
        var known = nodes.Select(n => n.InstanceId).ToHashSet();
        var added = new List<SimulatedNode>();
        foreach (var instance in (await DescribeAsync(Emulator, Name, cancellationToken)).Where(i => !known.Contains(i.InstanceId)))
        {
            var node = await PrepareNodeAsync(instance, settings, await Layer.Value, cancellationToken);
            nodes.Add(node);
            added.Add(node);
        }

        return added;
    }

    public void Boot(IEnumerable<SimulatedNode> which)
    {
        foreach (var node in which)
        {
            node.Boot(running.Token);
        }
    }

    public void BootAll() => Boot(nodes.Where(n => !n.Booted));

    /// <summary>Waits until every booted node's cloud-init run has ended.</summary>
    public async Task WaitAsync(TimeSpan timeout)
    {
        var all = Task.WhenAll(nodes.Where(n => n.Booted).Select(n => n.Finished));
        await all.WaitAsync(timeout);
    }

    /// <summary>
    /// What CreateImage would capture of a builder that finished: its own files (the overlay's upper layer), copied,
    /// with what does not survive a reboot removed (/run is a tmpfs) and systemd's boot applied (enabled units are
    /// active, nothing else). Lay it under new nodes with <see cref="SimulationSettings.ImageLayer"/>.
    /// </summary>
    public string SnapshotImage(SimulatedNode builder)
    {
        var image = System.IO.Path.Combine(SharedDirectory + "-images", builder.InstanceId);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(image)!);
        HostCommand.RunAsync("cp", "-a", builder.Root.UpperPath, image).GetAwaiter().GetResult().EnsureSuccess("copying the builder's file system");
        foreach (var transient in (string[])["run", "etc/sim", "var/log/standins.log"])
        {
            HostCommand.RunAsync("rm", "-rf", System.IO.Path.Combine(image, transient)).GetAwaiter().GetResult();
        }

        var systemd = System.IO.Path.Combine(image, "var", "lib", "sim", "systemd");
        if (Directory.Exists(systemd))
        {
            foreach (var active in Directory.EnumerateFiles(systemd, "active-*"))
            {
                File.Delete(active);
            }

            foreach (var enabled in Directory.EnumerateFiles(systemd, "enabled-*"))
            {
                File.Copy(enabled, System.IO.Path.Combine(systemd, "active-" + System.IO.Path.GetFileName(enabled)["enabled-".Length..]));
            }
        }

        File.Delete(System.IO.Path.Combine(image, "var", "lib", "sim", "poweroff"));
        return image;
    }

    /// <summary>Moves the cluster's clock (what token expiry is checked against) forward.</summary>
    public void AdvanceClock(TimeSpan by)
    {
        var path = System.IO.Path.Combine(SharedDirectory, "clock-offset");
        var current = File.Exists(path) ? long.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture) : 0;
        File.WriteAllText(path, (current + (long)by.TotalSeconds).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>What the master's kubeadm recorded per joined worker: endpoint, token, CA hash.</summary>
    public IReadOnlyDictionary<string, System.Text.Json.JsonElement> Joins =>
        Directory.Exists(System.IO.Path.Combine(SharedDirectory, "joined"))
            ? Directory.EnumerateFiles(System.IO.Path.Combine(SharedDirectory, "joined")).ToDictionary(f => System.IO.Path.GetFileName(f), f => System.Text.Json.JsonDocument.Parse(File.ReadAllText(f)).RootElement.Clone())
            : new Dictionary<string, System.Text.Json.JsonElement>();

    /// <summary>Bootstrap tokens the master created (token -> expiry, Unix seconds on the simulated clock).</summary>
    public IReadOnlyDictionary<string, long> Tokens =>
        Directory.Exists(System.IO.Path.Combine(SharedDirectory, "tokens"))
            ? Directory.EnumerateFiles(System.IO.Path.Combine(SharedDirectory, "tokens")).Select(f => System.Text.Json.JsonDocument.Parse(File.ReadAllText(f)).RootElement).ToDictionary(e => e.GetProperty("token").GetString()!, e => e.GetProperty("expires").GetInt64())
            : new Dictionary<string, long>();

    private bool disposed;

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        await running.CancelAsync();
        var errors = new List<Exception>();
        foreach (var node in nodes)
        {
            try
            {
                await node.DisposeAsync();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                errors.Add(e);
            }
        }

        running.Dispose();
        foreach (var directory in (string[])[SharedDirectory, SharedDirectory + "-images"])
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        if (errors.Count > 0)
        {
            throw new AggregateException("simulated nodes did not shut down cleanly", errors);
        }
    }

    private sealed record LaunchedInstance(string InstanceId, NodeRole Role, string RoleTag, string PrivateIp, string? PublicIp, string AvailabilityZone, string InstanceProfileArn);

    private static AmazonEC2Client Ec2(Emulator emulator) =>
        new(new BasicAWSCredentials(Emulator.AccessKey, Emulator.SecretKey), new AmazonEC2Config { ServiceURL = emulator.Endpoint, AuthenticationRegion = Emulator.Region });

    private static async Task<List<LaunchedInstance>> DescribeAsync(Emulator emulator, string name, CancellationToken cancellationToken)
    {
        using var ec2 = Ec2(emulator);
        var response = await ec2.DescribeInstancesAsync(new DescribeInstancesRequest
        {
            Filters =
            [
                new Filter { Name = "tag:" + ClusterNaming.ClusterTag, Values = [name] },
                new Filter { Name = "instance-state-name", Values = ["pending", "running"] },
            ],
        }, cancellationToken);
        var instances = new List<LaunchedInstance>();
        var all = (response.Reservations ?? []).SelectMany(r => r.Instances ?? []).ToList();
        foreach (var instance in all)
        {
            var roleTag = instance.Tags?.FirstOrDefault(t => t.Key == ClusterNaming.RoleTag)?.Value;
            // A golden-image builder runs like a worker that never joins; it is told apart by its tag.
            var role = roleTag switch
            {
                "master" => NodeRole.Master,
                "worker" or "builder" => NodeRole.Worker,
                _ => throw new InvalidOperationException($"{instance.InstanceId} has {ClusterNaming.RoleTag}={roleTag ?? "<none>"}; the simulator runs masters, workers and builders"),
            };
            // moto attaches a multi-count launch's profile to its first instance only (EC2 gives it to all): take the
            // profile of a sibling launched with the same role tag.
            var profile = instance.IamInstanceProfile?.Arn
                ?? all.Where(o => o.Tags?.FirstOrDefault(t => t.Key == ClusterNaming.RoleTag)?.Value == roleTag).Select(o => o.IamInstanceProfile?.Arn).FirstOrDefault(a => a is not null)
                ?? throw new InvalidOperationException($"{instance.InstanceId} has no instance profile: its node could not call SSM");
            instances.Add(new LaunchedInstance(instance.InstanceId, role, roleTag, instance.PrivateIpAddress, instance.PublicIpAddress, instance.Placement?.AvailabilityZone ?? Emulator.Region + "a", profile));
        }

        return [.. instances.OrderBy(i => i.Role).ThenBy(i => i.InstanceId, StringComparer.Ordinal)];
    }

    private async Task<SimulatedNode> PrepareNodeAsync(LaunchedInstance instance, SimulationSettings settings, string layer, CancellationToken cancellationToken)
    {
        using var ec2 = Ec2(Emulator);
        var attribute = await ec2.DescribeInstanceAttributeAsync(new DescribeInstanceAttributeRequest { InstanceId = instance.InstanceId, Attribute = InstanceAttributeName.UserData }, cancellationToken);
        var userData = Convert.FromBase64String(attribute.InstanceAttribute?.UserData ?? throw new InvalidOperationException($"{instance.InstanceId} has no user-data"));

        // The role behind the instance profile, found the way EC2 would: through IAM.
        using var iam = new IamQueryClient(new BasicAWSCredentials(Emulator.AccessKey, Emulator.SecretKey), new Uri(Emulator.Endpoint));
        var profile = await iam.GetInstanceProfileAsync(instance.InstanceProfileArn.Split('/')[^1], cancellationToken);
        var roleName = profile.RoleNames.Count == 1 ? profile.RoleNames[0] : throw new InvalidOperationException($"instance profile {profile.InstanceProfileName} holds {profile.RoleNames.Count} roles");
        var roleArn = (await iam.GetRoleAsync(roleName, cancellationToken)).Arn;

        var metadata = new InstanceMetadata(instance.InstanceId, instance.PrivateIp, instance.PublicIp, Emulator.Region, instance.AvailabilityZone, roleName, instance.InstanceProfileArn, userData);
        var root = await NodeRoot.MountAsync(instance.InstanceId, SharedDirectory, settings.ImageLayer is { } image ? $"{image}:{layer}" : layer, cancellationToken);
        try
        {
            StandIns.Install(root, metadata, instance.Role, settings, instance.RoleTag);
            var credentials = new RoleSession(Emulator, roleArn, instance.InstanceId);
            var imds = new InstanceMetadataService(metadata, credentials.GetAsync);
            var environment = new Dictionary<string, string>
            {
                ["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.Endpoint,
                ["AWS_ENDPOINT_URL"] = Emulator.Endpoint,
            };
            return new SimulatedNode(instance.InstanceId, instance.Role, instance.RoleTag, metadata, root, imds, new CloudInitRunner(root, metadata.ShortHostname, environment), credentials.IssuedAccessKeys);
        }
        catch
        {
            await root.DisposeAsync();
            throw;
        }
    }

    /// <summary>The node role's temporary credentials from the emulator's STS (sts:AssumeRole), renewed before they
    /// expire, as EC2 renews instance-profile credentials.</summary>
    private sealed class RoleSession(Emulator emulator, string roleArn, string sessionName)
    {
        private readonly SemaphoreSlim gate = new(1, 1);
        private RoleCredentials? current;

        /// <summary>Access key ids handed to the node: how the emulator's request log tells nodes apart.</summary>
        public ConcurrentBag<string> IssuedAccessKeys { get; } = [];

        public async Task<RoleCredentials> GetAsync(CancellationToken cancellationToken)
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                if (current is null || current.Expiration < DateTimeOffset.UtcNow.AddMinutes(15))
                {
                    using var sts = new AmazonSecurityTokenServiceClient(new BasicAWSCredentials(Emulator.AccessKey, Emulator.SecretKey), new AmazonSecurityTokenServiceConfig { ServiceURL = emulator.Endpoint, AuthenticationRegion = Emulator.Region });
                    var response = await sts.AssumeRoleAsync(new AssumeRoleRequest { RoleArn = roleArn, RoleSessionName = sessionName, DurationSeconds = 3600 }, cancellationToken);
                    var c = response.Credentials;
                    current = new RoleCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken, c.Expiration is { } e ? new DateTimeOffset(e, TimeSpan.Zero) : DateTimeOffset.UtcNow.AddHours(1));
                    IssuedAccessKeys.Add(c.AccessKeyId);
                }

                return current;
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
