using System.IO.Compression;
using System.Text;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Model;
using NodeImager.SelfAssembly.Tests.Simulation;
using NodeImager.SelfAssembly.Tests.Support;
using static NodeImager.SelfAssembly.Tests.Rendered.RenderedClusterLaunch;

namespace NodeImager.SelfAssembly.Tests.Rendered;

/// <summary>
/// Self-assembly from the real rendered user-data: every node runs its cloud-config in its own overlay root, with its
/// own metadata service and role credentials, against the emulator; stand-ins check each kubeadm/apt/systemd call.
/// Needs root (overlayfs, chroot, mount, unshare) and the trixie chroot (tests/tools/chroot.sh).
/// </summary>
[Collection(SelfAssemblyCollection.Name)]
[Trait("Requires", "root")]
public sealed class SelfAssemblyTests(Emulator emulator)
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task A_master_and_three_workers_assemble_even_when_the_workers_boot_long_before_the_master()
    {
        await emulator.ResetAsync();
        var spec = Spec("quartet", workers: 3);
        var rendered = await LaunchAsync(emulator, spec);
        await using var sim = await SimulatedCluster.AttachAsync(emulator, spec.Name, SimulationSettings.For(spec));

        await emulator.StartRecordingAsync();
        sim.Boot(sim.Workers);
        await Task.Delay(TimeSpan.FromSeconds(12));
        sim.Boot([sim.Master]);
        await sim.WaitAsync(Boot);
        var recorded = await emulator.StopRecordingAsync();

        foreach (var node in sim.Nodes)
        {
            Assert.True(await node.Finished == 0, Evidence(node));
        }

        // Every node reports ready, with the exact version it installed.
        var statuses = await StatusesAsync(emulator, spec.Name);
        Assert.Equal(sim.Nodes.Select(n => n.InstanceId).Order(), statuses.Keys.Order());
        Assert.All(statuses.Values, s => Assert.Equal("ready", s.GetProperty("phase").GetString()));
        Assert.All(statuses.Values, s => Assert.Matches(@"^1\.37\.\d+$", s.GetProperty("kubernetesVersion").GetString()));

        // The master published a SecureString; every worker joined with exactly that endpoint, token and CA pin,
        // and the pin is the real CA's (computed here, independently of the node scripts and stand-ins).
        var (parameter, join) = await JoinAsync(emulator, spec.Name);
        Assert.Equal("SecureString", parameter.Type.Value);
        Assert.Equal($"{sim.Master.Metadata.LocalIpv4}:6443", join.GetProperty("endpoint").GetString());
        Assert.Equal(CaHash(sim), join.GetProperty("caCertHash").GetString());
        Assert.Equal(sim.Workers.Select(w => w.InstanceId).Order(), sim.Joins.Keys.Order());
        foreach (var (_, joined) in sim.Joins)
        {
            Assert.Equal(join.GetProperty("token").GetString(), joined.GetProperty("token").GetString());
            Assert.Equal(join.GetProperty("caCertHash").GetString(), joined.GetProperty("caCertHash").GetString());
            Assert.Equal(join.GetProperty("endpoint").GetString(), joined.GetProperty("endpoint").GetString());
        }

        // The token kubeadm init got is the one published, valid for about two hours.
        var expiry = Assert.Contains(join.GetProperty("token").GetString()!, sim.Tokens);
        Assert.InRange(expiry - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 7000, 7200);

        // Waiting workers backed off (not a busy loop): a few calls, the k-th pause at least the templates' promised
        // schedule allows (5 s doubling up to 60 s, jittered down to 70 %; the request log has whole seconds).
        foreach (var worker in sim.Workers)
        {
            var polls = recorded.Where(r => r.Action == "GetParameter" && r.Body.Contains(ClusterNaming.JoinParameter(spec.Name), StringComparison.Ordinal) && worker.AccessKeyIds.Contains(AccessKey(r) ?? string.Empty)).Select(SignedAt).Order().ToList();
            Assert.InRange(polls.Count, 3, 7);
            var gaps = polls.Zip(polls.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
            Assert.True(gaps.Select((gap, k) => gap >= (0.7 * Math.Min(5 * Math.Pow(2, k), 60)) - 1).All(ok => ok), $"{worker.InstanceId} polled at gaps {string.Join(", ", gaps)} s");
        }

        // Nodes called AWS only with their roles' credentials from their metadata service (no keys in their environment).
        var nodeKeys = sim.Nodes.SelectMany(n => n.AccessKeyIds).ToHashSet();
        Assert.All(recorded.Where(r => r.Service == "AmazonSSM"), r => Assert.Contains(AccessKey(r) ?? "<unsigned>", nodeKeys));
        Assert.All(sim.Nodes, n => Assert.Contains($"GET /latest/meta-data/iam/security-credentials/{n.Metadata.RoleName} 200", n.MetadataRequests));

        // Nothing token-shaped in user-data or in any status parameter.
        foreach (var document in new[] { rendered.Master, rendered.Worker })
        {
            Assert.DoesNotMatch(TokenPattern(), Plain(document.UserData));
        }

        Assert.All(statuses.Values, s => Assert.DoesNotMatch(TokenPattern(), s.GetRawText()));
    }

    [Fact]
    public async Task A_master_failing_in_kubeadm_init_reports_the_step_and_workers_give_up_at_their_deadline()
    {
        await emulator.ResetAsync();
        var spec = Spec("broken", workers: 2, joinTimeout: TimeSpan.FromSeconds(10));
        await LaunchAsync(emulator, spec);
        // Every node's tee writes its log half a second behind the script, so a tail read without waiting for it
        // would miss kubeadm's error every time (under load it did about one run in four).
        var settings = SimulationSettings.For(spec) with
        {
            Failures = new Dictionary<NodeRole, string> { [NodeRole.Master] = "kubeadm-init" },
            Delays = new Dictionary<string, double> { ["tee"] = 0.5 },
        };
        await using var sim = await SimulatedCluster.AttachAsync(emulator, spec.Name, settings);

        var started = DateTimeOffset.UtcNow;
        sim.BootAll();
        await sim.WaitAsync(Boot);

        Assert.All(sim.Nodes, n => Assert.NotEqual(0, n.Finished.Result));
        var statuses = await StatusesAsync(emulator, spec.Name);
        var master = statuses[sim.Master.InstanceId];
        Assert.Equal("failed", master.GetProperty("phase").GetString());
        Assert.Equal("kubeadm-init", master.GetProperty("step").GetString());
        // The log tail shows the failing step and kubeadm's own error (lib.sh waits for its tee before reading the
        // tail), with token-shaped strings redacted.
        var tail = master.GetProperty("logTail").GetString()!;
        Assert.Contains("[kubeadm-init]", tail, StringComparison.Ordinal);
        Assert.Contains("could not initialize a Kubernetes cluster", tail, StringComparison.Ordinal);
        Assert.DoesNotMatch(TokenPattern(), tail);
        Assert.Contains("could not initialize a Kubernetes cluster", sim.Master.Root.ReadFile("/var/log/nodeimager-bootstrap.log"), StringComparison.Ordinal);
        await Assert.ThrowsAsync<Amazon.SimpleSystemsManagement.Model.ParameterNotFoundException>(() => JoinAsync(emulator, spec.Name));

        foreach (var worker in sim.Workers)
        {
            var status = statuses[worker.InstanceId];
            Assert.Equal("failed", status.GetProperty("phase").GetString());
            Assert.Equal("wait-for-join", status.GetProperty("step").GetString());
            Assert.DoesNotContain("kubeadm join", worker.StandInLog, StringComparison.Ordinal);
        }

        // Each gave up at its deadline: not before it, and not long after (one backoff pause at most), by its own log.
        foreach (var worker in sim.Workers)
        {
            var log = worker.Root.ReadFile("/var/log/nodeimager-bootstrap.log") ?? string.Empty;
            var waited = LoggedAt(log, "phase=failed") - LoggedAt(log, "phase=joining");
            Assert.InRange(waited.TotalSeconds, 10, 10 + 15);
        }

        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_worker_that_boots_hours_later_joins_with_the_token_the_refresh_timer_published()
    {
        await emulator.ResetAsync();
        var spec = Spec("latecomer", workers: 0, podCidr: "10.32.0.0/16");
        var rendered = await LaunchAsync(emulator, spec);
        var settings = SimulationSettings.For(spec);
        await using var sim = await SimulatedCluster.AttachAsync(emulator, spec.Name, settings);
        sim.BootAll();
        await sim.WaitAsync(Boot);
        Assert.True(await sim.Master.Finished == 0, Evidence(sim.Master));
        var (_, first) = await JoinAsync(emulator, spec.Name);

        // The master enabled the hourly refresh timer, and it fires well within the token's two hours.
        Assert.True(File.Exists(sim.Master.Root.HostPath("/var/lib/sim/systemd/enabled-nodeimager-join-refresh.timer")), sim.Master.StandInLog);
        Assert.Contains("OnUnitActiveSec=1h", sim.Master.Root.ReadFile("/etc/systemd/system/nodeimager-join-refresh.timer"), StringComparison.Ordinal);

        // Three hours later: without a refresh, a new worker finds the published token expired and fails.
        sim.AdvanceClock(TimeSpan.FromHours(3));
        await EmulatedLaunch.RunAsync(emulator, spec.Name, NodeRole.Worker, 1, rendered.Worker.UserData);
        var stale = Assert.Single(await sim.AttachNewAsync(settings));
        sim.Boot([stale]);
        await sim.WaitAsync(Boot);
        Assert.NotEqual(0, await stale.Finished);
        Assert.Contains("could not find a JWS signature", stale.Root.ReadFile("/var/log/nodeimager-kubeadm-join.log"), StringComparison.Ordinal);

        // The timer fires (its unit's command, run as systemd would) and publishes a fresh token...
        Assert.Equal(0, await sim.Master.FireUnitAsync("nodeimager-join-refresh.service", CancellationToken.None));
        var (_, refreshed) = await JoinAsync(emulator, spec.Name);
        Assert.NotEqual(first.GetProperty("token").GetString(), refreshed.GetProperty("token").GetString());

        // ...with which a worker booting now joins.
        await EmulatedLaunch.RunAsync(emulator, spec.Name, NodeRole.Worker, 1, rendered.Worker.UserData);
        var late = Assert.Single(await sim.AttachNewAsync(settings));
        sim.Boot([late]);
        await sim.WaitAsync(Boot);
        Assert.True(await late.Finished == 0, Evidence(late));
        Assert.Equal(refreshed.GetProperty("token").GetString(), sim.Joins[late.InstanceId].GetProperty("token").GetString());
        Assert.Equal("ready", (await StatusesAsync(emulator, spec.Name))[late.InstanceId].GetProperty("phase").GetString());
    }

    [Fact]
    public async Task A_non_default_pod_cidr_reaches_kubeadm_and_flannel_alike()
    {
        await emulator.ResetAsync();
        var spec = Spec("podnet", workers: 1, podCidr: "10.50.0.0/16");
        await LaunchAsync(emulator, spec);
        await using var sim = await SimulatedCluster.AttachAsync(emulator, spec.Name, SimulationSettings.For(spec));
        sim.BootAll();
        await sim.WaitAsync(Boot);
        Assert.All(sim.Nodes, n => Assert.True(n.Finished.Result == 0, Evidence(n)));

        // The stand-ins refuse a mismatch; these say what was actually used.
        Assert.Equal("10.50.0.0/16", File.ReadAllText(Path.Combine(sim.SharedDirectory, "pod-cidr")));
        Assert.Equal("10.50.0.0/16", File.ReadAllText(Path.Combine(sim.SharedDirectory, "flannel-network")));
        Assert.Contains("\"Network\": \"10.50.0.0/16\"", File.ReadAllText(Path.Combine(sim.SharedDirectory, "applied", "kube-flannel.yml")), StringComparison.Ordinal);
        Assert.Contains(sim.Master.InstanceId, (await StatusesAsync(emulator, spec.Name)).Keys);
        Assert.Single(sim.Joins);
    }

    /// <summary>When the node's log (lines start with an ISO-8601 UTC time) first mentions a marker.</summary>
    private static DateTimeOffset LoggedAt(string log, string marker)
    {
        var line = log.Split('\n').First(l => l.Contains(marker, StringComparison.Ordinal));
        return DateTimeOffset.Parse(line.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Plain(byte[] userData)
    {
        if (userData is [0x1f, 0x8b, ..])
        {
            using var gzip = new GZipStream(new MemoryStream(userData), CompressionMode.Decompress);
            using var reader = new StreamReader(gzip, Encoding.UTF8);
            return reader.ReadToEnd();
        }

        return Encoding.UTF8.GetString(userData);
    }
}
