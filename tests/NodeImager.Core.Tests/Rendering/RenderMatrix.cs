using NodeImager.Core.Configuration;
using NodeImager.Core.Model;
using NodeImager.Core.Rendering;

namespace NodeImager.Core.Tests.Rendering;

/// <summary>One cell of the matrix: the inputs and what came out.</summary>
internal sealed record RenderCase(string Minor, string PodCidr, bool Firewall, bool Golden, int Workers, ClusterSpec Spec, RenderedCluster Rendered)
{
    public override string ToString() => $"k8s {Minor}, pods {PodCidr}, firewall {(Firewall ? "on" : "off")}, {(Golden ? "golden" : "stock")}, {Workers} worker(s)";
}

/// <summary>Every supported minor x pod CIDR default/non-default x firewall x stock/golden x 1/50 workers.</summary>
internal static class RenderMatrix
{
    public static IReadOnlyList<RenderCase> Cases { get; } = Build();

    /// <summary>Each distinct document once (worker count and some flags do not change every document).</summary>
    public static IReadOnlyList<(string Label, RenderedDocument Document)> DistinctDocuments { get; } =
        Cases.SelectMany(c => c.Rendered.Documents.Select(d => ($"{d.Name} of {c}", d)))
            .DistinctBy(x => x.d.Text)
            .Select(x => (x.Item1, x.d))
            .ToList();

    private static List<RenderCase> Build()
    {
        var renderer = new ClusterRenderer(RenderingFixtures.Catalog);
        var cases = new List<RenderCase>();
        foreach (var release in KubernetesReleases.Supported)
        {
            foreach (var pod in new[] { "10.244.0.0/16", "10.200.0.0/16" })
            {
                foreach (var firewall in new[] { true, false })
                {
                    foreach (var golden in new[] { false, true })
                    {
                        foreach (var workers in new[] { 1, 50 })
                        {
                            var spec = RenderingFixtures.DefaultSpec(
                                RenderingFixtures.Flag(ConfigKeys.KubernetesVersion, release.Minor),
                                RenderingFixtures.Flag(ConfigKeys.PodCidr, pod),
                                RenderingFixtures.Flag(ConfigKeys.Firewall, firewall ? "true" : "false"),
                                RenderingFixtures.Flag(ConfigKeys.Workers, workers.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                            var marker = golden ? RenderingFixtures.Golden with { KubernetesVersion = release.Minor + ".2" } : null;
                            var rendered = renderer.Render(spec, new RenderOptions(RenderingFixtures.FixedExpiry, marker));
                            cases.Add(new RenderCase(release.Minor, pod, firewall, golden, workers, spec, rendered));
                        }
                    }
                }
            }
        }

        return cases;
    }
}
