using NodeImager.Core.Remote;

namespace NodeImager.Core.Tests.Remote;

public sealed class ClusterFilesTests : IDisposable
{
    private readonly string home = Directory.CreateTempSubdirectory("nodeimager-home-").FullName;

    public void Dispose() => Directory.Delete(home, recursive: true);

    [Fact]
    public void Lives_under_nodeimager_home_or_the_user_home()
    {
        Assert.Equal(Path.Combine(home, "clusters", "demo"), ClusterFiles.For("demo", new Dictionary<string, string> { ["NODEIMAGER_HOME"] = home }).Directory);
        Assert.Equal(Path.Combine(home, ".nodeimager", "clusters", "demo", "known_hosts"), ClusterFiles.For("demo", new Dictionary<string, string> { ["HOME"] = home }).KnownHosts);
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("Demo")]
    [InlineData("")]
    public void Refuses_names_that_are_not_cluster_names(string name) =>
        Assert.Equal(ExitCodes.BadInput, Assert.Throws<NodeImagerException>(() => ClusterFiles.For(name, new Dictionary<string, string>())).ExitCode);

    [Fact]
    public void Finds_the_one_private_key_whatever_its_name()
    {
        var files = ClusterFiles.For("demo", new Dictionary<string, string> { ["NODEIMAGER_HOME"] = home });
        Assert.Contains("No SSH private key", Assert.Throws<NodeImagerException>(() => files.PrivateKey()).Message, StringComparison.Ordinal);

        files.EnsureDirectory();
        File.WriteAllText(Path.Combine(files.Directory, "demo-key.pub"), "ssh-ed25519 AAAA demo\n");
        File.WriteAllText(Path.Combine(files.Directory, "kubeconfig"), "apiVersion: v1\n");
        File.WriteAllText(Path.Combine(files.Directory, "demo-key"), "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n-----END OPENSSH PRIVATE KEY-----\n");
        Assert.Equal(Path.Combine(files.Directory, "demo-key"), files.PrivateKey());

        File.WriteAllText(Path.Combine(files.Directory, "old.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----\n");
        Assert.Contains("--identity", Assert.Throws<NodeImagerException>(() => files.PrivateKey()).Hint, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(files.Directory, "old.pem"), files.PrivateKey(Path.Combine(files.Directory, "old.pem")));
    }
}
