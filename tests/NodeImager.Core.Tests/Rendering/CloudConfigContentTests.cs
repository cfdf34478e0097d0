using System.Text.Json;
using NodeImager.Core.Model;
using NodeImager.Core.Rendering;
using YamlDotNet.RepresentationModel;

namespace NodeImager.Core.Tests.Rendering;

/// <summary>What the documents say: kubeadm configs, flannel's network, runtime config, secrets, size.</summary>
public sealed class CloudConfigContentTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Lib = "/usr/local/lib/nodeimager/";

    [Fact]
    public void Every_document_fits_ec2_user_data_and_carries_no_secret()
    {
        var largest = (Bytes: 0, Label: string.Empty);
        foreach (var c in RenderMatrix.Cases)
        {
            foreach (var document in c.Rendered.Documents)
            {
                Assert.True(document.UserData.Length <= RenderedDocument.MaxUserDataBytes, $"{document.Name} of {c}: {document.UserData.Length} bytes");
                Assert.True(document.Text.StartsWith("#cloud-config\n", StringComparison.Ordinal), $"{document.Name} of {c}");
                Assert.DoesNotMatch(RenderingFixtures.TokenLike(), document.Text);
                Assert.DoesNotContain("unsafeSkipCAVerification", document.Text, StringComparison.OrdinalIgnoreCase);
                largest = document.UserData.Length > largest.Bytes ? (document.UserData.Length, $"{document.Name} of {c} ({(document.Gzipped ? "gzip" : "plain")}, {document.TextBytes} bytes as text)") : largest;
                if (document.Gzipped)
                {
                    using var unzip = new System.IO.Compression.GZipStream(new MemoryStream(document.UserData), System.IO.Compression.CompressionMode.Decompress);
                    using var reader = new StreamReader(unzip);
                    Assert.Equal(document.Text, reader.ReadToEnd());
                }
                else
                {
                    Assert.Equal(document.Text, System.Text.Encoding.UTF8.GetString(document.UserData));
                }
            }
        }
        output.WriteLine($"largest user-data: {largest.Bytes} bytes, {largest.Label}");
    }

    [Fact]
    public void Kubeadm_init_config_is_v1beta4_with_the_clusters_networks()
    {
        foreach (var c in RenderMatrix.Cases)
        {
            var yaml = RenderingFixtures.Files(c.Rendered.Master.Text)[Lib + "kubeadm-init.yaml"];
            var docs = RenderingFixtures.ParseAll(yaml).ToDictionary(d => RenderingFixtures.Scalar(d["kind"]));
            Assert.Equal(["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"], docs.Keys);
            Assert.Equal("kubeadm.k8s.io/v1beta4", RenderingFixtures.Scalar(docs["InitConfiguration"]["apiVersion"]));
            Assert.Equal("kubeadm.k8s.io/v1beta4", RenderingFixtures.Scalar(docs["ClusterConfiguration"]["apiVersion"]));
            var networking = (YamlMappingNode)docs["ClusterConfiguration"]["networking"];
            Assert.Equal(c.PodCidr, RenderingFixtures.Scalar(networking["podSubnet"]));
            Assert.Equal(c.Spec.ServiceCidr.ToString(), RenderingFixtures.Scalar(networking["serviceSubnet"]));
            Assert.Equal("@PRIVATE_IP@:6443", RenderingFixtures.Scalar(docs["ClusterConfiguration"]["controlPlaneEndpoint"]));
            Assert.Equal("systemd", RenderingFixtures.Scalar(docs["KubeletConfiguration"]["cgroupDriver"]));
            var registration = (YamlMappingNode)docs["InitConfiguration"]["nodeRegistration"];
            Assert.Equal("unix:///run/containerd/containerd.sock", RenderingFixtures.Scalar(registration["criSocket"]));
            var token = (YamlMappingNode)((YamlSequenceNode)docs["InitConfiguration"]["bootstrapTokens"])[0];
            Assert.Equal("@TOKEN@", RenderingFixtures.Scalar(token["token"]));
            Assert.Equal("2h0m0s", RenderingFixtures.Scalar(token["ttl"]));
        }
    }

    [Fact]
    public void Kubeadm_join_config_verifies_the_ca()
    {
        foreach (var c in RenderMatrix.Cases)
        {
            var yaml = RenderingFixtures.Files(c.Rendered.Worker.Text)[Lib + "kubeadm-join.yaml"];
            var doc = RenderingFixtures.Parse(yaml);
            Assert.Equal("kubeadm.k8s.io/v1beta4", RenderingFixtures.Scalar(doc["apiVersion"]));
            Assert.Equal("JoinConfiguration", RenderingFixtures.Scalar(doc["kind"]));
            var bootstrap = (YamlMappingNode)((YamlMappingNode)doc["discovery"])["bootstrapToken"];
            Assert.Equal("@CA_CERT_HASH@", RenderingFixtures.Scalar(((YamlSequenceNode)bootstrap["caCertHashes"])[0]));
            Assert.False(bootstrap.Children.ContainsKey(new YamlScalarNode("unsafeSkipCAVerification")));
        }
    }

    [Fact]
    public void The_preview_is_the_same_kubeadm_config_with_placeholders()
    {
        var c = RenderMatrix.Cases.First(x => x.PodCidr == "10.200.0.0/16");
        var docs = RenderingFixtures.ParseAll(c.Rendered.KubeadmConfigPreview);
        Assert.Equal(3, docs.Count);
        Assert.Equal("10.200.0.0/16", RenderingFixtures.Scalar(((YamlMappingNode)docs[1]["networking"])["podSubnet"]));
        Assert.DoesNotContain("@", c.Rendered.KubeadmConfigPreview.Split('\n', 2)[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Containerd_config_is_version_3_with_cri_and_systemd_cgroups()
    {
        foreach (var c in RenderMatrix.Cases)
        {
            foreach (var document in c.Rendered.Documents)
            {
                var toml = RenderingFixtures.Files(document.Text)[Lib + "containerd-config.toml"];
                Assert.Contains("\nversion = 3\n", toml, StringComparison.Ordinal);
                Assert.Contains("[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n  SystemdCgroup = true", toml, StringComparison.Ordinal);
                Assert.Contains($"sandbox = '{c.Spec.KubernetesVersion.Release.PauseImage}'", toml, StringComparison.Ordinal);
                // containerd.io's own file disables CRI; ours must not (a comment may explain why).
                Assert.DoesNotMatch(@"(?m)^\s*disabled_plugins", toml);
            }
        }
    }

    [Fact]
    public void Flannel_network_written_by_the_script_is_the_pod_cidr()
    {
        foreach (var c in RenderMatrix.Cases.Where(c => c.Workers == 1 && c.Firewall && !c.Golden))
        {
            var files = RenderingFixtures.Files(c.Rendered.Master.Text);
            var folder = Directory.CreateTempSubdirectory("nodeimager-flannel-");
            try
            {
                File.WriteAllText(Path.Combine(folder.FullName, "node.env"), files["/etc/nodeimager/node.env"]);
                File.WriteAllText(Path.Combine(folder.FullName, "steps.sh"), files[Lib + "steps.sh"]);
                File.WriteAllText(Path.Combine(folder.FullName, "kube-flannel.yml"), FlannelManifest);
                var (code, output) = RenderingFixtures.Run("bash", ["-c", "set -euo pipefail; cd \"$1\"; set -a; . ./node.env; set +a; . ./steps.sh; set_flannel_network kube-flannel.yml", "_", folder.FullName]);
                Assert.True(code == 0, output);

                var configMap = RenderingFixtures.ParseAll(File.ReadAllText(Path.Combine(folder.FullName, "kube-flannel.yml")))
                    .Single(d => RenderingFixtures.Scalar(d["kind"]) == "ConfigMap");
                var netConf = RenderingFixtures.Scalar(((YamlMappingNode)configMap["data"])["net-conf.json"]);
                using var json = JsonDocument.Parse(netConf);
                Assert.Equal(c.PodCidr, json.RootElement.GetProperty("Network").GetString());
                Assert.Equal("vxlan", json.RootElement.GetProperty("Backend").GetProperty("Type").GetString());
            }
            finally
            {
                folder.Delete(recursive: true);
            }
        }
    }

    [Fact]
    public void Worker_count_does_not_change_the_documents()
    {
        foreach (var group in RenderMatrix.Cases.GroupBy(c => (c.Minor, c.PodCidr, c.Firewall, c.Golden)))
        {
            Assert.Single(group.Select(c => c.Rendered.Worker.Text).Distinct());
        }
    }

    [Fact]
    public void Node_settings_follow_the_spec()
    {
        foreach (var c in RenderMatrix.Cases)
        {
            var master = RenderingFixtures.NodeEnv(c.Rendered.Master.Text);
            var worker = RenderingFixtures.NodeEnv(c.Rendered.Worker.Text);
            var build = RenderingFixtures.NodeEnv(c.Rendered.ImageBuild.Text);
            Assert.Equal(("master", "worker", "builder"), (master["ROLE"], worker["ROLE"], build["ROLE"]));
            Assert.Equal(c.Minor, master["KUBERNETES_MINOR"]);
            Assert.Equal($"/nodeimager/{c.Spec.Name}/join", worker["JOIN_PARAMETER"]);
            Assert.Equal(ClusterNaming.StatusPath(c.Spec.Name), worker["STATUS_PATH"]);
            Assert.Equal("1800", worker["JOIN_TIMEOUT_SECONDS"]);
            Assert.Equal(c.Firewall ? "true" : "false", master["FIREWALL"]);
            Assert.Equal("6443/tcp 2379-2380/tcp 10250/tcp 10257/tcp 10259/tcp 8472/udp", master["FIREWALL_PORTS"]);
            Assert.Equal("10250/tcp 10256/tcp 30000-32767/tcp 8472/udp", worker["FIREWALL_PORTS"]);
            Assert.Equal(c.Golden ? RenderingFixtures.Golden.RecipeHash : string.Empty, worker["GOLDEN_RECIPE_HASH"]);
            Assert.Equal(c.Golden ? c.Minor + ".2" : string.Empty, master["GOLDEN_KUBERNETES_VERSION"]);
            Assert.Equal("2026-12-01T18:30:00Z", master["EXPIRES_AT"]);
        }
    }

    [Fact]
    public void Dead_man_switch_is_scheduled_only_when_the_cluster_expires()
    {
        var spec = RenderingFixtures.DefaultSpec();
        var renderer = new ClusterRenderer(RenderingFixtures.Catalog);
        var expiring = renderer.Render(spec, new RenderOptions(RenderingFixtures.FixedExpiry));
        var forever = renderer.Render(spec, new RenderOptions(null));
        foreach (var document in expiring.Documents)
        {
            Assert.Contains("'systemd-run' '--unit=nodeimager-expiry' '--on-calendar=2026-12-01 18:30:00 UTC' 'systemctl' 'poweroff'", RenderingFixtures.Commands(document.Text));
        }

        foreach (var document in forever.Documents)
        {
            Assert.DoesNotContain(RenderingFixtures.Commands(document.Text), line => line.Contains("systemd-run", StringComparison.Ordinal));
            Assert.DoesNotContain("bootcmd", document.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Runtime_settings_follow_the_spec()
    {
        var spec = RenderingFixtures.DefaultSpec(
            RenderingFixtures.Flag(Core.Configuration.ConfigKeys.RuntimeDocker, "false"),
            RenderingFixtures.Flag(Core.Configuration.ConfigKeys.RuntimeSandboxImage, "registry.example.internal/pause:3.10.1"));
        var rendered = new ClusterRenderer(RenderingFixtures.Catalog).Render(spec, new RenderOptions(null));
        foreach (var document in rendered.Documents)
        {
            Assert.Equal("false", RenderingFixtures.NodeEnv(document.Text)["DOCKER"]);
            Assert.Equal("registry.example.internal/pause:3.10.1", RenderingFixtures.NodeEnv(document.Text)["SANDBOX_IMAGE"]);
            Assert.Contains("sandbox = 'registry.example.internal/pause:3.10.1'", RenderingFixtures.Files(document.Text)[Lib + "containerd-config.toml"], StringComparison.Ordinal);
        }

        Assert.Equal("true", RenderingFixtures.NodeEnv(RenderMatrix.Cases[0].Rendered.Master.Text)["DOCKER"]);
    }

    [Fact]
    public void A_pinned_patch_is_installed_exactly()
    {
        var spec = RenderingFixtures.DefaultSpec(RenderingFixtures.Flag(Core.Configuration.ConfigKeys.KubernetesVersion, "1.36.4"));
        var rendered = new ClusterRenderer(RenderingFixtures.Catalog).Render(spec, new RenderOptions(null));
        Assert.Equal("1.36.4-1.1", RenderingFixtures.NodeEnv(rendered.Worker.Text)["PACKAGE_VERSION"]);
        Assert.Equal(string.Empty, RenderingFixtures.NodeEnv(RenderMatrix.Cases[0].Rendered.Worker.Text)["PACKAGE_VERSION"]);
        Assert.Contains("kubernetesVersion: \"v1.36.4\"", rendered.KubeadmConfigPreview, StringComparison.Ordinal);
    }

    private const string FlannelManifest = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: kube-flannel
        ---
        kind: ConfigMap
        apiVersion: v1
        metadata:
          name: kube-flannel-cfg
          namespace: kube-flannel
        data:
          cni-conf.json: |
            {
              "name": "cbr0",
              "cniVersion": "0.3.1"
            }
          net-conf.json: |
            {
              "Network": "10.244.0.0/16",
              "EnableNFTables": false,
              "Backend": {
                "Type": "vxlan"
              }
            }
        """;
}
