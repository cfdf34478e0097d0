using System.Globalization;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Model;

namespace NodeImager.SelfAssembly.Tests.Simulation;

/// <summary>Installs the stand-ins (tests/tools/sim/standins) into a node root: tools in /usr/local/sbin, ahead of
/// the real ones on PATH; their library and canned downloads in /usr/local/lib/sim; their settings in
/// /etc/sim/node.env (a file, so the node's scripts never see them in their environment).</summary>
public static class StandIns
{
    public static string Source => Path.Combine(Emulator.RepositoryRoot, "tests", "tools", "sim");

    public static void Install(NodeRoot root, InstanceMetadata metadata, NodeRole role, SimulationSettings settings, string? roleTag = null)
    {
        var sbin = root.HostPath("/usr/local/sbin");
        var lib = root.HostPath("/usr/local/lib/sim");
        Directory.CreateDirectory(sbin);
        Directory.CreateDirectory(Path.Combine(lib, "fixtures"));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Source, "standins")))
        {
            var name = Path.GetFileName(file);
            var target = name is "standin.sh" or "kubeadm.py" ? Path.Combine(lib, name) : Path.Combine(sbin, name);
            File.Copy(file, target, overwrite: true);
        }

        // Commands a package brings (kubeadm, firewall-cmd...) wait here until the apt-get stand-in installs it.
        Directory.CreateDirectory(Path.Combine(lib, "tools"));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Source, "standins", "packaged")))
        {
            File.Copy(file, Path.Combine(lib, "tools", Path.GetFileName(file)), overwrite: true);
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(Source, "fixtures")))
        {
            File.Copy(file, Path.Combine(lib, "fixtures", Path.GetFileName(file)), overwrite: true);
        }

        // The node is an Ubuntu LTS machine as far as its scripts can tell.
        foreach (var path in (string[])["/etc/os-release", "/usr/lib/os-release"])
        {
            File.Delete(root.HostPath(path));
            File.Copy(Path.Combine(Source, "fixtures", "os-release"), root.HostPath(path));
        }

        File.WriteAllText(root.HostPath("/etc/hostname"), metadata.ShortHostname + "\n");
        // What an Ubuntu cloud image has and the minimal chroot lacks (systemd's drop-in directories, a real fstab).
        foreach (var directory in (string[])["/etc/modules-load.d", "/etc/sysctl.d", "/etc/systemd/system", "/etc/apt/keyrings", "/var/log"])
        {
            Directory.CreateDirectory(root.HostPath(directory));
        }

        File.WriteAllText(root.HostPath("/etc/fstab"), "LABEL=cloudimg-rootfs\t/\t ext4\tdiscard,commit=30,errors=remount-ro\t0 1\nLABEL=UEFI\t/boot/efi\tvfat\tumask=0077\t0 1\n");
        Directory.CreateDirectory(root.HostPath("/etc/sim"));

        var values = new Dictionary<string, string>
        {
            ["SIM_INSTANCE_ID"] = metadata.InstanceId,
            ["SIM_ROLE"] = roleTag ?? role.Name(),
            ["SIM_PRIVATE_IP"] = metadata.LocalIpv4,
            ["SIM_HOSTNAME"] = metadata.ShortHostname,
            ["SIM_POD_CIDR"] = settings.PodCidr.ToString(),
            ["SIM_SERVICE_CIDR"] = settings.ServiceCidr?.ToString() ?? string.Empty,
            ["SIM_K8S_MINOR"] = settings.Release.Minor,
            ["SIM_K8S_NEWEST_PATCH"] = settings.NewestPatch.ToString(CultureInfo.InvariantCulture),
            ["SIM_PAUSE_IMAGE"] = settings.Release.PauseImage,
            ["SIM_CONTAINERD_VERSION"] = settings.ContainerdVersion,
            ["SIM_FLANNEL_VERSION"] = KubernetesReleases.FlannelVersion,
            ["SIM_FAIL"] = settings.Failures.TryGetValue(role, out var fail) ? fail : string.Empty,
        };
        foreach (var (operation, seconds) in settings.Delays)
        {
            values["SIM_DELAY_" + operation.ToUpperInvariant().Replace('-', '_')] = seconds.ToString(CultureInfo.InvariantCulture);
        }

        File.WriteAllText(root.HostPath("/etc/sim/node.env"), SimulatedNode.SettingsFile(values));
    }

}
