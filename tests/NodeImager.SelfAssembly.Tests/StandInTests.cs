using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using NodeImager.Core.Model;
using NodeImager.SelfAssembly.Tests.Simulation;

namespace NodeImager.SelfAssembly.Tests;

/// <summary>
/// The stand-ins refuse what the real tools (or the real cluster) would refuse: a stand-in that accepted anything
/// would let every self-assembly test pass for nothing. Each test gets its own node root (needs root: overlayfs).
/// </summary>
[Trait("Requires", "root")]
public sealed class StandInTests : IAsyncLifetime
{
    private const string PodCidr = "10.32.0.0/16";
    private const string Token = "abcdef.0123456789abcdef";
    private readonly string shared = Directory.CreateTempSubdirectory("nodeimager-sim-standin-shared-").FullName;
    private NodeRoot root = null!;

    // Everything kubeadm's preflight needs, done the way a node script does it.
    private static readonly string Prepared = $"""
        set -e
        swapoff -a
        modprobe overlay; modprobe br_netfilter
        printf 'net.ipv4.ip_forward = 1\n' > /etc/sysctl.d/k8s.conf
        sysctl --system > /dev/null
        apt-get update -q > /dev/null
        curl -fsSL https://pkgs.k8s.io/core:/stable:/v{KubernetesReleases.Newest.Minor}/deb/Release.key | gpg --batch --yes --dearmor -o /etc/apt/keyrings/k.gpg
        echo "deb [signed-by=/etc/apt/keyrings/k.gpg] https://pkgs.k8s.io/core:/stable:/v{KubernetesReleases.Newest.Minor}/deb/ /" > /etc/apt/sources.list.d/kubernetes.list
        curl -fsSL https://download.docker.com/linux/ubuntu/gpg | gpg --batch --yes --dearmor -o /etc/apt/keyrings/d.gpg
        echo "deb [arch=amd64 signed-by=/etc/apt/keyrings/d.gpg] https://download.docker.com/linux/ubuntu noble stable" > /etc/apt/sources.list.d/docker.list
        apt-get update -q > /dev/null
        apt-get install -y containerd.io > /dev/null
        printf "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\nSystemdCgroup = true\n" > /etc/containerd/config.toml
        systemctl restart containerd
        apt-get install -y kubelet={KubernetesReleases.Newest.Minor}.2-1.1 kubeadm={KubernetesReleases.Newest.Minor}.2-1.1 kubectl={KubernetesReleases.Newest.Minor}.2-1.1 > /dev/null
        set +e

        """;

    private static string InitConfig(string podSubnet = PodCidr, string api = "kubeadm.k8s.io/v1beta4", string extra = "") => $"""
        cat > /tmp/init.yaml << 'EOF'
        apiVersion: {api}
        kind: InitConfiguration
        bootstrapTokens:
          - token: "{Token}"
            ttl: 2h0m0s
        localAPIEndpoint:
          advertiseAddress: 10.0.0.10
        ---
        apiVersion: {api}
        kind: ClusterConfiguration
        networking:
          podSubnet: {podSubnet}
        {extra}
        EOF

        """;

    private static string JoinConfig(string token, string hash) => $"""
        cat > /tmp/join.yaml << 'EOF'
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: JoinConfiguration
        discovery:
          bootstrapToken:
            apiServerEndpoint: 10.0.0.10:6443
            token: "{token}"
            caCertHashes: ["{hash}"]
        EOF

        """;

    public async Task InitializeAsync()
    {
        var layer = (await HostCommand.RunAsync(Path.Combine(StandIns.Source, "layer.sh"))).EnsureSuccess("layer.sh").Output.Trim().Split('\n')[^1];
        root = await NodeRoot.MountAsync("standin", shared, layer);
        var metadata = new InstanceMetadata("i-0standin", "10.0.0.10", null, "us-east-1", "us-east-1a", "role", "arn:aws:iam::123456789012:instance-profile/p", []);
        StandIns.Install(root, metadata, NodeRole.Master, new SimulationSettings { PodCidr = Cidr.Parse(PodCidr) });
    }

    public async Task DisposeAsync()
    {
        await root.DisposeAsync();
        Directory.Delete(shared, recursive: true);
    }

    private Task<HostCommand.Result> Node(string script) =>
        HostCommand.RunAsync("chroot", [root.Path, "env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "/bin/bash", "-c", script]);

    /// <summary>The CA pin computed independently of the stand-ins: sha256 of the certificate's SubjectPublicKeyInfo.</summary>
    private string CaHash()
    {
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(shared, "ca.crt"));
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public async Task Init_creates_a_real_CA_and_join_needs_the_master_token_and_the_CA_pin()
    {
        var init = await Node(Prepared + InitConfig() + "kubeadm init --config /tmp/init.yaml");
        Assert.True(init.ExitCode == 0, init.Output);
        Assert.Contains("--discovery-token-ca-cert-hash " + CaHash(), init.Output, StringComparison.Ordinal);
        Assert.Contains("server: https://10.0.0.10:6443", root.ReadFile("/etc/kubernetes/admin.conf"), StringComparison.Ordinal);

        var wrongHash = await Node(JoinConfig(Token, "sha256:" + new string('0', 64)) + "kubeadm join --config /tmp/join.yaml");
        Assert.NotEqual(0, wrongHash.ExitCode);
        Assert.Contains("none of the public keys", wrongHash.Output, StringComparison.Ordinal);

        var unknownToken = await Node(JoinConfig("zzzzzz.0123456789abcdef", CaHash()) + "kubeadm join --config /tmp/join.yaml");
        Assert.Contains("could not find a JWS signature", unknownToken.Output, StringComparison.Ordinal);

        var joined = await Node(JoinConfig(Token, CaHash()) + "kubeadm join --config /tmp/join.yaml");
        Assert.True(joined.ExitCode == 0, joined.Output);

        // Two hours and a bit later the 2h token is gone; a token created then is valid.
        File.WriteAllText(Path.Combine(shared, "clock-offset"), "7300");
        var expired = await Node(JoinConfig(Token, CaHash()) + "kubeadm join --config /tmp/join.yaml");
        Assert.Contains("could not find a JWS signature", expired.Output, StringComparison.Ordinal);
        var fresh = await Node("kubeadm token create --ttl 2h");
        Assert.Equal(0, fresh.ExitCode);
        var rejoined = await Node(JoinConfig(fresh.Output.Trim(), CaHash()) + "kubeadm join --config /tmp/join.yaml");
        Assert.True(rejoined.ExitCode == 0, rejoined.Output);
    }

    [Theory]
    [InlineData("10.244.0.0/16", "kubeadm.k8s.io/v1beta4", "", "this cluster's pod CIDR")]
    [InlineData(PodCidr, "kubeadm.k8s.io/v1beta3", "", "no kind \"InitConfiguration\" is registered for version \"kubeadm.k8s.io/v1beta3\"")]
    [InlineData(PodCidr, "kubeadm.k8s.io/v1beta4", "apiServer:\n  extraArgs:\n    audit-log-path: /var/log/audit.log", "[]v1beta4.Arg")]
    [InlineData(PodCidr, "kubeadm.k8s.io/v1beta4", "networkin: {}", "unknown field \"ClusterConfiguration.networkin\"")]
    public async Task Init_refuses_a_configuration_kubeadm_or_the_cluster_spec_would_not_accept(string podSubnet, string api, string extra, string error)
    {
        var result = await Node(Prepared + InitConfig(podSubnet, api, extra) + "kubeadm init --config /tmp/init.yaml");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(error, result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_preflight_fails_when_containerd_keeps_the_packaged_config_without_CRI()
    {
        var result = await Node(Prepared + "apt-get install -y containerd.io > /dev/null\nsystemctl restart containerd\n" + InitConfig() + "kubeadm init --config /tmp/init.yaml");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("unknown service runtime.v1.RuntimeService", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Package_tools_refuse_unpinned_kubernetes_packages_and_missing_repositories()
    {
        var notInstalled = await Node("kubeadm version");
        Assert.Equal(127, notInstalled.ExitCode);
        var noRepository = await Node("apt-get update -q >/dev/null; apt-get install -y kubeadm=1.37.2-1.1");
        Assert.Contains("no /etc/apt/sources.list.d/kubernetes.list", noRepository.Output, StringComparison.Ordinal);
        var unpinned = await Node(Prepared + "apt-get install -y kubeadm");
        Assert.Contains("must be pinned", unpinned.Output, StringComparison.Ordinal);
        var madison = await Node(Prepared + "apt-cache madison kubeadm");
        Assert.Contains($"{KubernetesReleases.Newest.Minor}.2-1.1", madison.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Curl_serves_only_the_files_a_node_downloads_and_passes_loopback_through()
    {
        var unknown = await Node("curl -fsSL https://example.com/install.sh");
        Assert.Equal(6, unknown.ExitCode);
        var wrongMinor = await Node("curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.20/deb/Release.key");
        Assert.Equal(22, wrongMinor.ExitCode);
        var flannel = await Node($"curl -fsSL https://github.com/flannel-io/flannel/releases/download/{KubernetesReleases.FlannelVersion}/kube-flannel.yml");
        Assert.Contains("\"Network\": \"10.244.0.0/16\"", flannel.Output, StringComparison.Ordinal);
        var loopback = await Node("curl -sS http://127.0.0.1:9/ ; echo exit=$?");
        Assert.Contains("exit=7", loopback.Output, StringComparison.Ordinal);
        Assert.Contains("curl -fsSL https://example.com/install.sh", root.ReadFile("/var/log/standins.log"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_refuses_a_flannel_manifest_whose_network_is_not_the_pod_cidr()
    {
        var init = await Node(Prepared + InitConfig() + "kubeadm init --config /tmp/init.yaml >/dev/null");
        Assert.Equal(0, init.ExitCode);
        const string Fetch = "curl -fsSL -o /tmp/f.yml https://github.com/flannel-io/flannel/releases/download/v0.27.4/kube-flannel.yml\n";
        var unchanged = await Node(Fetch + "kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f /tmp/f.yml");
        Assert.NotEqual(0, unchanged.ExitCode);
        Assert.Contains("pod cidr not assigned", unchanged.Output, StringComparison.Ordinal);
        var rewritten = await Node(Fetch + $"sed -i 's|10.244.0.0/16|{PodCidr}|' /tmp/f.yml\nKUBECONFIG=/etc/kubernetes/admin.conf kubectl apply -f /tmp/f.yml");
        Assert.True(rewritten.ExitCode == 0, rewritten.Output);
        Assert.Equal(PodCidr, File.ReadAllText(Path.Combine(shared, "flannel-network")));

        // Only a node kubeadm registered (under its host name) can become Ready.
        var wrongNode = await Node("KUBECONFIG=/etc/kubernetes/admin.conf kubectl wait --for=condition=Ready node/ip-10-0-0-10.ec2.internal --timeout=10m");
        Assert.Contains("not found", wrongNode.Output, StringComparison.Ordinal);
        var node = await Node("KUBECONFIG=/etc/kubernetes/admin.conf kubectl wait --for=condition=Ready node/ip-10-0-0-10 --timeout=10m");
        Assert.True(node.ExitCode == 0, node.Output);
    }

    [Fact]
    public async Task Host_tools_check_their_arguments()
    {
        Assert.NotEqual(0, (await Node("modprobe nf_tables")).ExitCode);
        Assert.NotEqual(0, (await Node("sysctl -w net.bridge.bridge-nf-call-iptables=1")).ExitCode);
        Assert.NotEqual(0, (await Node("systemctl start no-such-unit")).ExitCode);
        Assert.Equal(127, (await Node("firewall-cmd --state")).ExitCode);
        var firewall = await Node("apt-get update -q >/dev/null && apt-get install -y firewalld >/dev/null && command -v firewall-cmd && firewall-cmd --permanent --add-port=6443/tcp; systemctl enable --now firewalld && firewall-cmd --permanent --add-port=6443");
        Assert.Contains("/usr/bin/firewall-cmd", firewall.Output, StringComparison.Ordinal);
        Assert.Contains("FirewallD is not running", firewall.Output, StringComparison.Ordinal);
        Assert.Contains("INVALID_PORT", firewall.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, (await Node("echo not-a-key | gpg --dearmor -o /tmp/k.gpg")).ExitCode);
        Assert.Equal("1", (await Node("modprobe br_netfilter && sysctl -w net.bridge.bridge-nf-call-iptables=1 && sysctl -n net.bridge.bridge-nf-call-iptables")).Output.Trim());
    }
}
