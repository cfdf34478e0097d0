using NodeImager.Core.Remote;

namespace NodeImager.Core.Tests.Remote;

public sealed class KubeconfigTests
{
    private static Kubeconfig Demo() =>
        Kubeconfig.Parse(KubeadmAdminConf.Text, "admin.conf").ForOperator("demo", "https://203.0.113.7:6443");

    [Theory]
    [InlineData("")]
    [InlineData("apiVersion: v1\nkind: Config\nclusters: null\ncontexts: null\nusers: null\ncurrent-context: \"\"\npreferences: {}\n")]
    public void Merges_into_an_empty_kubeconfig(string existing)
    {
        var merged = Kubeconfig.Parse(existing, "config").Merge(Demo());

        Assert.Equal(["demo"], merged.Names("clusters"));
        Assert.Equal(["demo"], merged.Names("users"));
        Assert.Equal(("demo", "demo"), merged.Context("demo"));
        Assert.Equal("demo", merged.CurrentContext);
        Assert.DoesNotContain("...", merged.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_an_admin_conf_that_is_not_kubeadms()
    {
        var twoClusters = KubeadmAdminConf.Text.Replace("clusters:\n", "clusters:\n- name: extra\n  cluster:\n    server: https://x:6443\n", StringComparison.Ordinal);

        var error = Assert.Throws<NodeImagerException>(() => Kubeconfig.Parse(twoClusters, "admin.conf").ForOperator("demo", "https://203.0.113.7:6443"));

        Assert.Contains("2 cluster(s)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_yaml_is_an_error_naming_the_file()
    {
        var error = Assert.Throws<NodeImagerException>(() => Kubeconfig.Parse("clusters: [\n", "/home/me/.kube/config"));

        Assert.Contains("/home/me/.kube/config is not valid YAML", error.Message, StringComparison.Ordinal);
    }
}
