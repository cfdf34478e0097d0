using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace NodeImager.Core.Tests.Rendering;

/// <summary>The rendered node scripts run with bash: status reports, the failure trap, the golden-image check.
/// The only fake is a stand-in `aws` on PATH that keeps what it was asked to publish.</summary>
public sealed class NodeScriptTests : IDisposable
{
    private const string Lib = "/usr/local/lib/nodeimager/";
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("nodeimager-scripts-");

    public NodeScriptTests()
    {
        var worker = RenderingFixtures.Files(RenderMatrix.Cases.First(c => c.Golden && c.Minor == "1.37").Rendered.Worker.Text);
        Write("node.env", worker["/etc/nodeimager/node.env"]);
        Write("lib.sh", worker[Lib + "lib.sh"]);
        Write("steps.sh", worker[Lib + "steps.sh"]);
        Write("kubeadm-join.yaml", worker[Lib + "kubeadm-join.yaml"]);
        Write("kubeadm-init.yaml", RenderingFixtures.Files(RenderMatrix.Cases.First(c => c.PodCidr == "10.200.0.0/16").Rendered.Master.Text)[Lib + "kubeadm-init.yaml"]);
        Directory.CreateDirectory(Path.Combine(folder.FullName, "bin"));
        Write("bin/aws", "#!/bin/bash\necho call >> \"$FAKE_AWS_ARGS.calls\"\nprintf '%s\\n' \"$@\" > \"$FAKE_AWS_ARGS\"\nfor a in \"$@\"; do case $a in file://*) cp \"${a#file://}\" \"$FAKE_AWS_VALUE\";; esac; done\n");
        RenderingFixtures.Run("chmod", ["0755", Path.Combine(folder.FullName, "bin", "aws")]);
    }

    public void Dispose() => folder.Delete(recursive: true);

    [Fact]
    public void A_failure_reports_the_step_and_a_redacted_bounded_log_tail()
    {
        var log = string.Join('\n', Enumerable.Range(1, 200).Select(i => $"line {i} kubeadm join --token abcdef.0123456789abcdef {new string('x', 150)}"));
        Write("bootstrap.log", log + "\n");

        var (code, output) = Bash("""
            set -eE
            . ./lib.sh
            INSTANCE_ID=i-0123456789abcdef0
            trap 'on_error $LINENO' ERR
            step kubeadm-join
            false
            echo "not reached"
            """);

        Assert.NotEqual(0, code);
        Assert.DoesNotContain("not reached", output, StringComparison.Ordinal);
        var args = File.ReadAllLines(Path.Combine(folder.FullName, "aws-args"));
        Assert.Equal(["ssm", "put-parameter", "--name", "/nodeimager/nodeimager/status/i-0123456789abcdef0", "--type", "String", "--overwrite"], args[..7]);
        var value = File.ReadAllText(Path.Combine(folder.FullName, "aws-value"));
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(value) <= 4096, $"{value.Length} bytes");
        Assert.DoesNotMatch(RenderingFixtures.TokenLike(), value);
        using var status = JsonDocument.Parse(value);
        var root = status.RootElement;
        Assert.Equal("failed", root.GetProperty("phase").GetString());
        Assert.Equal("kubeadm-join", root.GetProperty("step").GetString());
        Assert.Equal("worker", root.GetProperty("role").GetString());
        Assert.Equal("i-0123456789abcdef0", root.GetProperty("instanceId").GetString());
        Assert.Equal("1.37", root.GetProperty("kubernetesVersion").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", root.GetProperty("updatedAt").GetString());
        var tail = root.GetProperty("logTail").GetString()!;
        Assert.Contains("[redacted-token]", tail, StringComparison.Ordinal);
        Assert.Contains("step kubeadm-join failed", root.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(tail.Split('\n').Length <= 31);
    }

    [Fact]
    public void The_log_tail_holds_the_last_line_printed_before_the_failure_even_when_tee_lags()
    {
        // tee starts writing a second late: the tail must still end with kubeadm's error, not miss it.
        Write("bootstrap.log", string.Empty);
        Write("bin/tee", "#!/bin/bash\nsleep 1\nexec /usr/bin/tee \"$@\"\n");
        RenderingFixtures.Run("chmod", ["0755", Path.Combine(folder.FullName, "bin", "tee")]);

        var (code, output) = Bash("""
            . ./lib.sh
            set -eE
            start_log
            INSTANCE_ID=i-1
            trap 'on_error $LINENO' ERR
            step kubeadm-init
            echo "error execution phase wait-control-plane: could not initialize a Kubernetes cluster"
            false
            """);

        Assert.Equal(1, code);
        using var status = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.FullName, "aws-value")));
        var tail = status.RootElement.GetProperty("logTail").GetString()!.TrimEnd().Split('\n');
        Assert.Equal("error execution phase wait-control-plane: could not initialize a Kubernetes cluster", tail[^2]);
        Assert.Matches(@"\[kubeadm-init\] failed at line \d+ with exit code 1$", tail[^1]);
        // And the log is complete when the script has ended: the report's own line is in it, and on the console.
        Assert.Contains("phase=failed step kubeadm-init failed", File.ReadAllText(Path.Combine(folder.FullName, "bootstrap.log")), StringComparison.Ordinal);
        Assert.Contains("phase=failed step kubeadm-init failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_process_holding_the_log_pipe_delays_the_failure_report_at_most_ten_seconds()
    {
        Write("bootstrap.log", string.Empty);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (code, output) = Bash("""
            . ./lib.sh
            set -eE
            start_log
            INSTANCE_ID=i-1
            trap 'on_error $LINENO' ERR
            step containerd
            sleep 60 {CONSOLE_FD}>&- &
            echo $! > holder.pid
            echo "the last words"
            false
            """);
        watch.Stop();
        RenderingFixtures.Run("bash", ["-c", $"kill $(cat '{Path.Combine(folder.FullName, "holder.pid")}')"]);

        Assert.Equal(1, code);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"{watch.Elapsed}");
        using var status = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.FullName, "aws-value")));
        Assert.Contains("the last words", status.RootElement.GetProperty("logTail").GetString(), StringComparison.Ordinal);
        Assert.Contains("phase=failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failure_inside_command_substitution_is_reported_once_by_the_main_shell()
    {
        Write("bootstrap.log", string.Empty);
        var (code, output) = Bash("""
            . ./lib.sh
            set -eE
            INSTANCE_ID=i-1
            trap 'on_error $LINENO' ERR
            fails() { return 3; }
            step containerd
            version=$(fails)
            echo "not reached $version"
            """);

        Assert.Equal(3, code);
        Assert.Single(File.ReadAllLines(Path.Combine(folder.FullName, "aws-args.calls")));
        using var status = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.FullName, "aws-value")));
        Assert.Equal("containerd", status.RootElement.GetProperty("step").GetString());
    }

    [Fact]
    public void A_progress_report_has_no_log_tail()
    {
        Write("bootstrap.log", "something\n");
        var (code, output) = Bash(". ./lib.sh; INSTANCE_ID=i-1; STEP=containerd; report installing 'golden image k8s-base matches'");

        Assert.True(code == 0, output);
        using var status = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.FullName, "aws-value")));
        Assert.Equal("installing", status.RootElement.GetProperty("phase").GetString());
        Assert.Equal(string.Empty, status.RootElement.GetProperty("logTail").GetString());
        Assert.Equal("golden image k8s-base matches", status.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public void A_builders_done_report_carries_the_runtime_versions_bake_tags_the_image_with()
    {
        Write("bootstrap.log", "something\n");
        var (code, output) = Bash(". ./lib.sh; INSTANCE_ID=i-1; STEP=cleanup; export REPORT_CONTAINERD_VERSION=2.1.4 REPORT_DOCKER_VERSION=5:28.5.1-1~ubuntu.24.04~noble; report done 'image ready'");
        Assert.True(code == 0, output);
        var status = Core.Images.BuilderStatus.Parse(File.ReadAllText(Path.Combine(folder.FullName, "aws-value")))!;
        Assert.Equal("done", status.Report.Phase);
        Assert.Equal("2.1.4", status.RuntimeVersions["nodeimager:containerd-version"]);
        Assert.Equal("5:28.5.1-1~ubuntu.24.04~noble", status.RuntimeVersions["nodeimager:docker-version"]);

        var (plainCode, plainOutput) = Bash(". ./lib.sh; INSTANCE_ID=i-1; STEP=x; report installing");
        Assert.True(plainCode == 0, plainOutput);
        Assert.Empty(Core.Images.BuilderStatus.Parse(File.ReadAllText(Path.Combine(folder.FullName, "aws-value")))!.RuntimeVersions);
    }

    [Theory]
    [InlineData("""{"recipeHash":"HASH","kubelet":"1.37.2"}""", 0)]
    [InlineData("""{"recipeHash":"HASH","kubelet":"1.36.9"}""", 1)]
    [InlineData("""{"recipeHash":"sha256:other","kubelet":"1.37.2"}""", 1)]
    public void The_golden_marker_must_match_recipe_hash_and_version(string marker, int expected)
    {
        Write("golden.json", marker.Replace("HASH", RenderingFixtures.Golden.RecipeHash, StringComparison.Ordinal));
        var (code, output) = Bash(". ./lib.sh; . ./steps.sh; GOLDEN_MARKER=./golden.json golden_matches");
        Assert.True(code == expected, output);
    }

    [Fact]
    public void A_matching_golden_image_skips_every_install_step_and_says_so()
    {
        Write("golden.json", $$"""{"recipeHash":"{{RenderingFixtures.Golden.RecipeHash}}","kubelet":"1.37.2"}""");
        Write("bin/kubeadm", "#!/bin/bash\ncase \"$1\" in version) echo v1.37.2;; config) echo registry.k8s.io/pause:3.10.1;; esac\n");
        RenderingFixtures.Run("chmod", ["0755", Path.Combine(folder.FullName, "bin", "kubeadm")]);

        var (code, output) = Bash(". ./lib.sh; . ./steps.sh; INSTANCE_ID=i-1; for f in install_apt_repos install_containerd install_docker install_kubernetes; do eval \"$f() { echo INSTALLED-$f; }\"; done; GOLDEN_MARKER=./golden.json install_node; echo \"version=$INSTALLED_VERSION\"");

        Assert.True(code == 0, output);
        Assert.DoesNotContain("INSTALLED-", output, StringComparison.Ordinal);
        Assert.Contains("version=1.37.2", output, StringComparison.Ordinal);
        using var status = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.FullName, "aws-value")));
        Assert.Equal("installing", status.RootElement.GetProperty("phase").GetString());
        Assert.Contains("golden image k8s-base matches; install skipped", status.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_mismatched_golden_image_installs_as_a_stock_node_and_says_so()
    {
        Write("golden.json", """{"recipeHash":"sha256:older","kubelet":"1.37.2"}""");
        var (code, output) = Bash(". ./lib.sh; . ./steps.sh; INSTANCE_ID=i-1; for f in install_apt_repos install_containerd install_docker install_kubernetes; do eval \"$f() { echo INSTALLED-$f; }\"; done; GOLDEN_MARKER=./golden.json install_node");

        Assert.True(code == 0, output);
        Assert.Contains("INSTALLED-install_apt_repos", output, StringComparison.Ordinal);
        Assert.Contains("INSTALLED-install_kubernetes", output, StringComparison.Ordinal);
        using var status = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.FullName, "aws-value")));
        Assert.Contains("does not match recipe k8s-base", status.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("installing as a stock node", status.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_marker_the_node_installs()
    {
        var (code, _) = Bash(". ./lib.sh; . ./steps.sh; GOLDEN_MARKER=./absent.json golden_matches");
        Assert.Equal(1, code);
    }

    [Theory]
    [InlineData("203.0.113.7")]
    [InlineData("")]
    public void The_master_writes_its_kubeadm_config_at_boot_with_its_addresses(string publicIp)
    {
        var (code, output) = Bash($". ./lib.sh; . ./steps.sh; PRIVATE_IP=10.0.1.23; PUBLIC_IP='{publicIp}'; INSTALLED_VERSION=1.37.2; write_init_config abcdef.0123456789abcdef ./init.yaml; stat -c %a ./init.yaml; hostname");

        Assert.True(code == 0, output);
        var lines = output.Trim().Split('\n');
        Assert.Equal("600", lines[0]);
        var docs = RenderingFixtures.ParseAll(File.ReadAllText(Path.Combine(folder.FullName, "init.yaml")))
            .ToDictionary(d => RenderingFixtures.Scalar(d["kind"]));
        var init = docs["InitConfiguration"];
        var token = (YamlMappingNode)((YamlSequenceNode)init["bootstrapTokens"])[0];
        Assert.Equal("abcdef.0123456789abcdef", RenderingFixtures.Scalar(token["token"]));
        var cluster = docs["ClusterConfiguration"];
        Assert.Equal("v1.37.2", RenderingFixtures.Scalar(cluster["kubernetesVersion"]));
        Assert.Equal("10.0.1.23:6443", RenderingFixtures.Scalar(cluster["controlPlaneEndpoint"]));
        Assert.Equal("10.200.0.0/16", RenderingFixtures.Scalar(((YamlMappingNode)cluster["networking"])["podSubnet"]));
        var sans = ((YamlSequenceNode)((YamlMappingNode)cluster["apiServer"])["certSANs"])
            .Select(RenderingFixtures.Scalar).ToList();
        string[] expected = publicIp.Length == 0 ? ["10.0.1.23", lines[1]] : ["10.0.1.23", lines[1], publicIp];
        Assert.Equal(expected, sans);
        Assert.Equal(lines[1], RenderingFixtures.Scalar(((YamlMappingNode)init["nodeRegistration"])["name"]));
    }

    [Fact]
    public void The_worker_writes_its_join_config_from_the_join_material()
    {
        Write("join.json", """{"endpoint":"10.0.1.23:6443","token":"abcdef.0123456789abcdef","caCertHash":"sha256:0123","expiresAt":"2026-12-01T20:00:00Z"}""");
        var (code, output) = Bash(". ./lib.sh; . ./steps.sh; write_join_config ./join.json ./join.yaml; stat -c %a ./join.yaml");

        Assert.True(code == 0, output);
        Assert.Equal("600", output.Trim());
        var doc = RenderingFixtures.Parse(File.ReadAllText(Path.Combine(folder.FullName, "join.yaml")));
        var bootstrap = (YamlMappingNode)((YamlMappingNode)doc["discovery"])["bootstrapToken"];
        Assert.Equal("10.0.1.23:6443", RenderingFixtures.Scalar(bootstrap["apiServerEndpoint"]));
        Assert.Equal("abcdef.0123456789abcdef", RenderingFixtures.Scalar(bootstrap["token"]));
        Assert.Equal("sha256:0123", RenderingFixtures.Scalar(((YamlSequenceNode)bootstrap["caCertHashes"])[0]));
    }

    [Fact]
    public void The_ca_cert_hash_is_sha256_of_the_der_public_key()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=kubernetes", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        Write("ca.crt", cert.ExportCertificatePem());
        var expected = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo()));

        var (code, output) = Bash(". ./lib.sh; . ./steps.sh; ca_cert_hash ./ca.crt");

        Assert.True(code == 0, output);
        Assert.Equal(expected, output.Trim());
    }

    [Fact]
    public void Workers_poll_with_jittered_exponential_backoff_until_the_material_appears()
    {
        // The fake aws fails 8 times, then prints the material; sleep only records how long it was asked to wait.
        Write("bin/aws", "#!/bin/bash\nn=$(cat \"$FAKE_AWS_ARGS.count\" 2>/dev/null || echo 0); echo $((n+1)) > \"$FAKE_AWS_ARGS.count\"\nprintf '%s\\n' \"$@\" > \"$FAKE_AWS_ARGS\"\n[ \"$n\" -ge 8 ] || exit 254\necho '{\"endpoint\":\"10.0.1.23:6443\"}'\n");
        var (code, output) = Bash(". ./lib.sh; . ./steps.sh; sleep() { echo \"$1\" >> sleeps; }; wait_for_join_material ./join.json; cat join.json");

        Assert.True(code == 0, output);
        Assert.Contains("10.0.1.23:6443", output, StringComparison.Ordinal);
        var sleeps = File.ReadAllLines(Path.Combine(folder.FullName, "sleeps")).Select(int.Parse).ToList();
        int[] nominal = [5, 10, 20, 40, 60, 60, 60, 60];
        Assert.Equal(nominal.Length, sleeps.Count);
        for (var i = 0; i < nominal.Length; i++)
        {
            Assert.InRange(sleeps[i], nominal[i] * 70 / 100, nominal[i] * 130 / 100);
        }

        var args = File.ReadAllLines(Path.Combine(folder.FullName, "aws-args"));
        Assert.Equal(["ssm", "get-parameter", "--name", "/nodeimager/nodeimager/join", "--with-decryption"], args[..5]);
    }

    [Fact]
    public void Workers_give_up_at_the_join_timeout()
    {
        Write("bin/aws", "#!/bin/bash\nexit 254\n");
        var (code, output) = Bash(". ./lib.sh; . ./steps.sh; JOIN_TIMEOUT_SECONDS=0; sleep() { :; }; wait_for_join_material ./join.json");

        Assert.Equal(1, code);
        Assert.Contains("no join material at /nodeimager/nodeimager/join after 0s", output, StringComparison.Ordinal);
    }

    private void Write(string name, string content) => File.WriteAllText(Path.Combine(folder.FullName, name), content);

    private (int Code, string Output) Bash(string script) =>
        RenderingFixtures.Run("bash", ["-c", $"cd '{folder.FullName}'\n{script}"], environment: new Dictionary<string, string>
        {
            ["PATH"] = Path.Combine(folder.FullName, "bin") + ":/usr/bin:/bin",
            ["NODEIMAGER_ENV"] = Path.Combine(folder.FullName, "node.env"),
            ["NODEIMAGER_LOG"] = Path.Combine(folder.FullName, "bootstrap.log"),
            ["NODEIMAGER_RUN"] = folder.FullName,
            ["NODEIMAGER_LIB"] = folder.FullName,
            ["FAKE_AWS_ARGS"] = Path.Combine(folder.FullName, "aws-args"),
            ["FAKE_AWS_VALUE"] = Path.Combine(folder.FullName, "aws-value"),
        });
}
