using NodeImager.Core.Remote;
using YamlDotNet.RepresentationModel;

namespace NodeImager.Core.Tests.Remote;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class KubeconfigFetcherTests : IAsyncLifetime
{
    private readonly string home = Directory.CreateTempSubdirectory("nodeimager-home-").FullName;
    private TestSshd server = null!;

    public async Task InitializeAsync() => server = await TestSshd.StartAsync(new TestSshd.Options(NodeFiles: true));

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(home, recursive: true);
    }

    private Dictionary<string, string> Environment(string? kubeconfig = null)
    {
        var variables = new Dictionary<string, string> { ["NODEIMAGER_HOME"] = Path.Combine(home, "ni"), ["HOME"] = home };
        if (kubeconfig is not null)
        {
            variables["KUBECONFIG"] = kubeconfig;
        }

        return variables;
    }

    private NodeEndpoint Master(ClusterFiles files) =>
        new(TestSshd.Host, server.Port, System.Environment.UserName, server.ClientKey, files.KnownHosts);

    [Fact]
    public async Task Fetches_admin_conf_and_writes_a_private_kubeconfig_for_the_public_endpoint()
    {
        server.WriteNodeFile(KubeconfigFetcher.AdminConfPath, KubeadmAdminConf.Text);
        var files = ClusterFiles.For("demo", Environment());

        var fetched = await KubeconfigFetcher.FetchAsync(Master(files), "203.0.113.7:6443", files, merge: false, Environment(), CancellationToken.None);

        Assert.Equal(Path.Combine(home, "ni", "clusters", "demo", "kubeconfig"), fetched.ClusterKubeconfig);
        Assert.Null(fetched.MergedInto);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(fetched.ClusterKubeconfig));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(files.Directory));

        var written = Load(fetched.ClusterKubeconfig);
        var cluster = (YamlMappingNode)((YamlMappingNode)((YamlSequenceNode)written["clusters"])[0])["cluster"];
        Assert.Equal("https://203.0.113.7:6443", cluster["server"].ToString());
        Assert.Equal("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==", cluster["certificate-authority-data"].ToString());
        Assert.Equal("demo", ((YamlMappingNode)((YamlSequenceNode)written["clusters"])[0])["name"].ToString());
        var user = (YamlMappingNode)((YamlSequenceNode)written["users"])[0];
        Assert.Equal("demo", user["name"].ToString());
        Assert.Equal("Q0xJRU5UIEtFWQo=", ((YamlMappingNode)user["user"])["client-key-data"].ToString());
        var context = (YamlMappingNode)((YamlSequenceNode)written["contexts"]).Single();
        Assert.Equal("demo", context["name"].ToString());
        Assert.Equal("demo", ((YamlMappingNode)context["context"])["cluster"].ToString());
        Assert.Equal("demo", ((YamlMappingNode)context["context"])["user"].ToString());
        Assert.Equal("demo", written["current-context"].ToString());
        Assert.Equal("Config", written["kind"].ToString());
        Assert.DoesNotContain("10.0.1.5", await File.ReadAllTextAsync(fetched.ClusterKubeconfig), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home, ".kube", "config")));
        Assert.Equal("demo demo demo", await TestSshd.Tool("kubectl", "--kubeconfig", fetched.ClusterKubeconfig, "config", "view",
            "-o", "jsonpath={.contexts[0].name} {.contexts[0].context.cluster} {.contexts[0].context.user}"));
    }

    [Fact]
    public async Task Merges_into_kubeconfig_keeping_other_entries_and_replacing_the_same_name()
    {
        server.WriteNodeFile(KubeconfigFetcher.AdminConfPath, KubeadmAdminConf.Text);
        var target = Path.Combine(home, "custom", "config");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await File.WriteAllTextAsync(target, """
            apiVersion: v1
            kind: Config
            clusters:
            - name: other
              cluster:
                server: https://other.example:6443
            - name: demo
              cluster:
                server: https://198.51.100.1:6443
            contexts:
            - name: other
              context:
                cluster: other
                user: other
                namespace: team
            - name: demo
              context:
                cluster: demo
                user: demo
            users:
            - name: other
              user:
                token: other-token
            - name: demo
              user:
                token: stale
            current-context: other
            preferences: {}
            """);
        var files = ClusterFiles.For("demo", Environment(target));

        var fetched = await KubeconfigFetcher.FetchAsync(Master(files), "https://203.0.113.7:6443", files, merge: true, Environment(target), CancellationToken.None);

        Assert.Equal(target, fetched.MergedInto);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
        var merged = Kubeconfig.Parse(await File.ReadAllTextAsync(target), target);
        Assert.Equal(["other", "demo"], merged.Names("clusters"));
        Assert.Equal(["other", "demo"], merged.Names("contexts"));
        Assert.Equal(["other", "demo"], merged.Names("users"));
        Assert.Equal("https://other.example:6443", merged.Server("other"));
        Assert.Equal("https://203.0.113.7:6443", merged.Server("demo"));
        Assert.Equal(("demo", "demo"), merged.Context("demo"));
        Assert.Equal("demo", merged.CurrentContext);
        var text = await File.ReadAllTextAsync(target);
        Assert.Contains("other-token", text, StringComparison.Ordinal);
        Assert.Contains("namespace: team", text, StringComparison.Ordinal);
        Assert.DoesNotContain("stale", text, StringComparison.Ordinal);
        Assert.DoesNotContain("198.51.100.1", text, StringComparison.Ordinal);

        // kubectl itself reads the merged file the same way.
        Assert.Equal("demo", (await TestSshd.Tool("kubectl", "--kubeconfig", target, "config", "current-context")).Trim());
        Assert.Equal("https://203.0.113.7:6443 https://other.example:6443", await TestSshd.Tool("kubectl", "--kubeconfig", target, "config", "view",
            "-o", "jsonpath={.clusters[?(@.name==\"demo\")].cluster.server} {.clusters[?(@.name==\"other\")].cluster.server}"));
    }

    [Fact]
    public async Task Merge_creates_the_default_kubeconfig_when_there_is_none()
    {
        server.WriteNodeFile(KubeconfigFetcher.AdminConfPath, KubeadmAdminConf.Text);
        var files = ClusterFiles.For("demo", Environment());

        var fetched = await KubeconfigFetcher.FetchAsync(Master(files), "203.0.113.7", files, merge: true, Environment(), CancellationToken.None);

        var target = Path.Combine(home, ".kube", "config");
        Assert.Equal(target, fetched.MergedInto);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
        var merged = Kubeconfig.Parse(await File.ReadAllTextAsync(target), target);
        Assert.Equal("https://203.0.113.7:6443", merged.Server("demo"));
        Assert.Equal("demo", merged.CurrentContext);
    }

    [Fact]
    public async Task A_missing_admin_conf_means_kubeadm_has_not_finished()
    {
        var files = ClusterFiles.For("demo", Environment());

        var error = await Assert.ThrowsAsync<NodeImagerException>(() =>
            KubeconfigFetcher.FetchAsync(Master(files), "203.0.113.7:6443", files, merge: false, Environment(), CancellationToken.None));

        Assert.Contains("/etc/kubernetes/admin.conf does not exist on the master", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(files.Kubeconfig));
    }

    [Theory]
    [InlineData("203.0.113.7:6443", "https://203.0.113.7:6443")]
    [InlineData("203.0.113.7", "https://203.0.113.7:6443")]
    [InlineData("https://api.example.com:443", "https://api.example.com:443")]
    [InlineData("ec2-1-2-3-4.compute.amazonaws.com:6443", "https://ec2-1-2-3-4.compute.amazonaws.com:6443")]
    public void Normalises_the_public_endpoint(string given, string server) =>
        Assert.Equal(server, KubeconfigFetcher.ServerUrl(given));

    [Fact]
    public void Kubectl_picks_the_first_existing_file_of_a_kubeconfig_list()
    {
        var first = Path.Combine(home, "a");
        var second = Path.Combine(home, "b");
        var list = string.Join(Path.PathSeparator, first, second);
        Assert.Equal(second, KubeconfigFetcher.UserKubeconfigPath(Environment(list)));
        File.WriteAllText(first, "");
        Assert.Equal(first, KubeconfigFetcher.UserKubeconfigPath(Environment(list)));
    }

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }
}
