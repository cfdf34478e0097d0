using NodeImager.Core.Rendering;

namespace NodeImager.Core.Tests.Rendering;

/// <summary>The default render, compared byte for byte with approved files, so every template change is a readable
/// diff in review. On a mismatch the test writes NAME.received next to the approved file; to approve, run the tests
/// with NODEIMAGER_TEST_APPROVE=1 (or move the .received file over the approved one).</summary>
public sealed class SnapshotTests
{
    private static string Folder => Path.Combine(RenderingFixtures.RepositoryRoot, "tests", "NodeImager.Core.Tests", "Rendering", "Snapshots");

    public static TheoryData<string> Names => ["master.yaml", "worker.yaml", "image-build.yaml", "kubeadm-config.yaml"];

    [Theory]
    [MemberData(nameof(Names))]
    public void Default_render_matches_the_approved_file(string name)
    {
        var rendered = new ClusterRenderer(RenderingFixtures.Catalog).Render(RenderingFixtures.DefaultSpec(), new RenderOptions(RenderingFixtures.FixedExpiry));
        var actual = name switch
        {
            "master.yaml" => rendered.Master.Text,
            "worker.yaml" => rendered.Worker.Text,
            "image-build.yaml" => rendered.ImageBuild.Text,
            _ => rendered.KubeadmConfigPreview,
        };

        var approved = Path.Combine(Folder, name);
        var received = approved + ".received";
        if (Environment.GetEnvironmentVariable("NODEIMAGER_TEST_APPROVE") == "1")
        {
            File.WriteAllText(approved, actual);
            File.Delete(received);
        }

        var expected = File.Exists(approved) ? File.ReadAllText(approved) : null;
        if (expected == actual)
        {
            File.Delete(received);
            return;
        }

        File.WriteAllText(received, actual);
        Assert.Fail($"{name} differs from the approved snapshot {approved}. Wrote {received}; review the diff "
            + $"(diff {approved} {received}) and approve with NODEIMAGER_TEST_APPROVE=1 dotnet test, or move the .received file over it.");
    }
}
