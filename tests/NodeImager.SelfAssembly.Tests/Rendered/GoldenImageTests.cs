using System.Text.Json;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Model;
using NodeImager.Core.Rendering;
using NodeImager.SelfAssembly.Tests.Simulation;
using NodeImager.SelfAssembly.Tests.Support;
using static NodeImager.SelfAssembly.Tests.Rendered.RenderedClusterLaunch;

namespace NodeImager.SelfAssembly.Tests.Rendered;

/// <summary>
/// The golden-image path end to end: the rendered image-build user-data runs in a simulated builder, its file system
/// is snapshotted the way CreateImage would, and a master and a worker booted on that snapshot skip every install and
/// still assemble. Needs root.
/// </summary>
[Collection(SelfAssemblyCollection.Name)]
[Trait("Requires", "root")]
public sealed class GoldenImageTests(Emulator emulator)
{
    [Fact]
    public Task Nodes_booted_from_the_builders_image_skip_installs_and_assemble() => BuildAndBootAsync(firewall: false);

    // The image build empties /var/lib/apt/lists: a golden node with the firewall on can only work if firewalld is
    // baked in (or the lists refreshed first); without that it fails at `apt-get install firewalld`.
    [Fact]
    public Task Nodes_booted_from_the_builders_image_with_the_firewall_on_skip_installs_and_assemble() => BuildAndBootAsync(firewall: true);

    private async Task BuildAndBootAsync(bool firewall)
    {
        await emulator.ResetAsync();
        var marker = new GoldenImageMarker("ubuntu-24.04-k8s-1.37", "0123456789abcdef", KubernetesReleases.Newest.Minor);
        var spec = Spec("golden", workers: 1) with { Image = new ImageChoice(marker.Recipe), Firewall = firewall };
        var rendered = new ClusterRenderer(TemplateCatalog.LoadOrThrow(Path.Combine(Emulator.RepositoryRoot, "templates")))
            .Render(spec, new RenderOptions(ExpiresAt: DateTimeOffset.UtcNow.AddHours(8), Golden: marker));
        await EmulatedLaunch.RunAsync(emulator, spec.Name, NodeRole.Worker, 1, rendered.ImageBuild.UserData, roleTag: "builder");
        var settings = SimulationSettings.For(spec);
        await using var sim = await SimulatedCluster.AttachAsync(emulator, spec.Name, settings);

        var builder = Assert.Single(sim.Builders);
        sim.Boot([builder]);
        await sim.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(await builder.Finished == 0, Evidence(builder));
        Assert.Equal("done", (await StatusesAsync(emulator, spec.Name))[builder.InstanceId].GetProperty("phase").GetString());
        using var golden = JsonDocument.Parse(builder.Root.ReadFile("/etc/nodeimager/golden.json")!);
        Assert.Equal(marker.RecipeHash, golden.RootElement.GetProperty("recipeHash").GetString());
        Assert.StartsWith(marker.KubernetesVersion + ".", golden.RootElement.GetProperty("kubelet").GetString(), StringComparison.Ordinal);
        var images = golden.RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetString()).ToList();
        Assert.Contains(KubernetesReleases.Newest.PauseImage, images);
        Assert.Contains($"ghcr.io/flannel-io/flannel:{KubernetesReleases.FlannelVersion}", images);
        Assert.Contains("systemctl poweroff", builder.Root.ReadFile("/var/lib/sim/poweroff"), StringComparison.Ordinal);

        // Boot a master and a worker on the builder's image.
        var image = sim.SnapshotImage(builder);
        await EmulatedLaunch.RunAsync(emulator, spec.Name, NodeRole.Master, 1, rendered.Master.UserData);
        await EmulatedLaunch.RunAsync(emulator, spec.Name, NodeRole.Worker, 1, rendered.Worker.UserData);
        var nodes = await sim.AttachNewAsync(settings with { ImageLayer = image });
        sim.Boot(nodes);
        await sim.WaitAsync(TimeSpan.FromSeconds(120));

        var statuses = await StatusesAsync(emulator, spec.Name);
        foreach (var node in nodes)
        {
            Assert.True(await node.Finished == 0, Evidence(node));
            Assert.Equal("ready", statuses[node.InstanceId].GetProperty("phase").GetString());
            Assert.Contains("install skipped", statuses[node.InstanceId].GetProperty("message").GetString(), StringComparison.Ordinal);
            // The node's own calls (the image's log was left behind): no package installed at boot.
            Assert.DoesNotContain(node.StandInCalls("apt-get"), c => c.Contains(" install ", StringComparison.Ordinal));
        }

        Assert.Single(sim.Joins);
    }
}
