using NodeImager.Core.Model;

namespace NodeImager.Core.Tests.Model;

public sealed class KubernetesReleasesTests
{
    [Theory]
    [InlineData("1.37", "1.37", null)]
    [InlineData("v1.36", "1.36", null)]
    [InlineData("1.35.9", "1.35", 9)]
    public void Parses_minors_and_pinned_patches(string text, string minor, int? patch)
    {
        var version = KubernetesReleases.TryParse(text);

        Assert.NotNull(version);
        Assert.Equal(minor, version.Minor);
        Assert.Equal(patch, version.Patch);
    }

    [Theory]
    [InlineData("1.34")]
    [InlineData("1.37.x")]
    [InlineData("2.0")]
    [InlineData("")]
    [InlineData(null)]
    public void Rejects_unsupported_or_malformed(string? text) => Assert.Null(KubernetesReleases.TryParse(text));

    [Fact]
    public void Every_supported_minor_uses_kubeadm_v1beta4_and_136_plus_need_containerd_2()
    {
        Assert.All(KubernetesReleases.Supported, r => Assert.Equal("kubeadm.k8s.io/v1beta4", r.KubeadmApiVersion));
        Assert.All(KubernetesReleases.Supported.Where(r => string.CompareOrdinal(r.Minor, "1.36") >= 0), r => Assert.Equal(2, r.MinContainerdMajor));
        Assert.All(KubernetesReleases.Supported, r => Assert.StartsWith("registry.k8s.io/pause:", r.PauseImage));
    }

    [Fact]
    public void Pinned_versions_map_to_pkgs_k8s_io_package_versions()
    {
        Assert.Equal("1.37.2-1.1", KubernetesReleases.TryParse("1.37.2")!.PackageVersion);
        Assert.Equal(string.Empty, KubernetesReleases.TryParse("1.37")!.PackageVersion);
    }
}

public sealed class CidrTests
{
    [Theory]
    [InlineData("10.244.0.0/16", "10.96.0.0/12", false)]
    [InlineData("10.0.0.0/8", "10.96.0.0/12", true)]
    [InlineData("172.31.0.0/16", "172.31.128.0/20", true)]
    [InlineData("192.168.0.0/24", "192.168.1.0/24", false)]
    public void Overlap(string a, string b, bool overlaps)
    {
        Assert.Equal(overlaps, Cidr.Parse(a).Overlaps(Cidr.Parse(b)));
        Assert.Equal(overlaps, Cidr.Parse(b).Overlaps(Cidr.Parse(a)));
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("::1/128")]
    [InlineData("10.0.0/8")]
    [InlineData("10.0.0.1/8")]
    public void Rejects(string text) => Assert.False(Cidr.TryParse(text, out _, out _));
}
