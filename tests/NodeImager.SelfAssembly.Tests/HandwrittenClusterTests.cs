using System.Text;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Model;
using NodeImager.SelfAssembly.Tests.Simulation;
using NodeImager.SelfAssembly.Tests.Support;

namespace NodeImager.SelfAssembly.Tests;

/// <summary>The simulator itself, proven with a small hand-written cloud-config that follows the node-side contract:
/// so a failure in the rendered-template tests points at the templates, not at the harness.</summary>
[Collection(SelfAssemblyCollection.Name)]
[Trait("Requires", "root")]
public sealed class HandwrittenClusterTests(Emulator emulator)
{
    private static byte[] Fixture(string name, string cluster, Cidr podCidr, int joinTimeoutSeconds = 60) =>
        Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(StandIns.Source, "fixtures", name))
            .Replace("__CLUSTER__", cluster, StringComparison.Ordinal)
            .Replace("__POD_CIDR__", podCidr.ToString(), StringComparison.Ordinal)
            .Replace("__MINOR__", KubernetesReleases.Newest.Minor, StringComparison.Ordinal)
            .Replace("__JOIN_TIMEOUT__", joinTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

    [Fact]
    public async Task A_master_and_two_workers_from_handwritten_user_data_assemble()
    {
        await emulator.ResetAsync();
        const string cluster = "hand";
        var pods = Cidr.Parse("10.244.0.0/16");
        await EmulatedLaunch.RunAsync(emulator, cluster, NodeRole.Master, 1, Fixture("handwritten-master.yaml", cluster, pods));
        await EmulatedLaunch.RunAsync(emulator, cluster, NodeRole.Worker, 2, Fixture("handwritten-worker.yaml", cluster, pods));

        await using var sim = await SimulatedCluster.AttachAsync(emulator, cluster, new SimulationSettings { PodCidr = pods });
        sim.BootAll();
        await sim.WaitAsync(TimeSpan.FromSeconds(120));

        foreach (var node in sim.Nodes)
        {
            Assert.True(await node.Finished == 0, $"{node.InstanceId} ({node.Role}) failed:\n{node.CloudInitOutput}\n--- stand-ins ---\n{node.StandInLog}");
        }

        // The aws CLI had no keys in its environment: it took the role's credentials from the metadata service.
        Assert.All(sim.Nodes, n => Assert.Contains($"GET /latest/meta-data/iam/security-credentials/{n.Metadata.RoleName} 200", n.MetadataRequests));
        Assert.All(sim.Nodes, n => Assert.DoesNotContain(n.MetadataRequests, r => r.EndsWith(" 401", StringComparison.Ordinal)));

        var token = Assert.Single(sim.Tokens).Key;
        Assert.Equal(2, sim.Joins.Count);
        Assert.All(sim.Joins.Values, j => Assert.Equal(token, j.GetProperty("token").GetString()));
    }
}
