using System.Diagnostics;
using System.Globalization;

namespace NodeImager.SelfAssembly.Tests.Simulation;

/// <summary>How one cloud-init stage ended.</summary>
public sealed record StageResult(string Stage, int ExitCode);

/// <summary>
/// Runs a node's user-data the way cloud-init would, inside the node's root: the real `cloud-init schema` check,
/// then bootcmd, write_files, packages, deferred write_files and the runcmd script (#!/bin/sh, no set -e), each
/// process started with `chroot ROOT env -i` and only PATH, LANG and the two standard AWS overrides
/// (AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_ENDPOINT_URL) in its environment. Output goes to the node's
/// /var/log/cloud-init-output.log. Like cloud-init, a failing stage is recorded and later stages still run.
/// </summary>
public sealed class CloudInitRunner(NodeRoot root, string hostname, IReadOnlyDictionary<string, string> environment)
{
    public const string OutputLog = "/var/log/cloud-init-output.log";
    private const string Path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    // cloud-init's apt invocation (cloudinit/distros/debian.py).
    private static readonly string[] AptGet = ["apt-get", "--option=Dpkg::Options::=--force-confold", "--option=Dpkg::options::=--force-unsafe-io", "--assume-yes", "--quiet"];

    private readonly List<StageResult> stages = [];
    private readonly object gate = new();
    private Process? current;

    public IReadOnlyList<StageResult> Stages
    {
        get
        {
            lock (gate)
            {
                return [.. stages];
            }
        }
    }

    public async Task<int> RunAsync(byte[] userData, string instanceId, CancellationToken cancellationToken)
    {
        var config = CloudConfig.FromUserData(userData);
        var userDataText = System.Text.Encoding.UTF8.GetString(Gunzipped(userData));
        await File.WriteAllTextAsync(root.HostPath("/run/sim-user-data.yaml"), userDataText, cancellationToken);

        // The real validator first: a document cloud-init would reject never reaches the modules.
        var schema = await RunInNodeAsync(["cloud-init", "schema", "--config-file", "/run/sim-user-data.yaml"], "schema", cancellationToken);
        if (schema != 0)
        {
            throw new CloudConfigException($"cloud-init schema rejected the user-data of {instanceId}; see {root.HostPath(OutputLog)}:\n{root.ReadFile(OutputLog)}");
        }

        // cloud-init's layout: the instance directory, and /var/lib/cloud/instance linking to it.
        Directory.CreateDirectory(root.HostPath($"/var/lib/cloud/instances/{instanceId}/scripts"));
        File.Delete(root.HostPath("/var/lib/cloud/instance"));
        File.CreateSymbolicLink(root.HostPath("/var/lib/cloud/instance"), $"/var/lib/cloud/instances/{instanceId}");
        await File.WriteAllTextAsync(root.HostPath($"/var/lib/cloud/instances/{instanceId}/user-data.txt"), userDataText, cancellationToken);

        if (config.BootCommands.Count > 0)
        {
            await WriteScriptAsync($"/var/lib/cloud/instances/{instanceId}/boothooks/bootcmd", config.BootCommandScript, cancellationToken);
            await RunInNodeAsync(["env", $"INSTANCE_ID={instanceId}", "/bin/sh", "/var/lib/cloud/instance/boothooks/bootcmd"], "bootcmd", cancellationToken);
        }

        WriteFiles(config.Files.Where(f => !f.Defer));
        if (config.PackageUpdate || config.PackageUpgrade || config.Packages.Count > 0)
        {
            await RunInNodeAsync([.. AptGet, "update"], "package-update", cancellationToken);
        }

        if (config.PackageUpgrade)
        {
            await RunInNodeAsync([.. AptGet, "dist-upgrade"], "package-upgrade", cancellationToken);
        }

        if (config.Packages.Count > 0)
        {
            await RunInNodeAsync([.. AptGet, "install", .. config.Packages], "packages", cancellationToken);
        }

        WriteFiles(config.Files.Where(f => f.Defer));
        if (config.RunCommands.Count == 0)
        {
            return 0;
        }

        await WriteScriptAsync($"/var/lib/cloud/instances/{instanceId}/scripts/runcmd", config.RunCommandScript, cancellationToken);
        return await RunInNodeAsync(["/var/lib/cloud/instance/scripts/runcmd"], "runcmd", cancellationToken);
    }

    /// <summary>Runs a command in the node the way its own services would (e.g. what a systemd timer fires).</summary>
    public Task<int> RunInNodeAsync(IReadOnlyList<string> command, string stage, CancellationToken cancellationToken) =>
        RunInNodeAsync(command, stage, environment, cancellationToken);

    private async Task<int> RunInNodeAsync(IReadOnlyList<string> command, string stage, IReadOnlyDictionary<string, string> env, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false };
        // setsid: the node's processes form one group, so a cancelled run takes everything it started with it.
        // unshare --uts: the node has its own host name (kubeadm and `hostname` see the instance's, not the host's).
        foreach (var arg in (string[])["unshare", "--uts", "--", "/bin/sh", "-c", "hostname \"$0\" && exec \"$@\"", hostname, "chroot", root.Path, "env", "-i", $"PATH={Path}", "LANG=C.UTF-8"])
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env)
        {
            start.ArgumentList.Add($"{key}={value}");
        }

        start.ArgumentList.Add("/bin/sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"exec >>{OutputLog} 2>&1 </dev/null; echo \"Cloud-init simulator stage {stage} starting\"; \"$@\"");
        start.ArgumentList.Add("sh");
        foreach (var word in command)
        {
            start.ArgumentList.Add(word);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start setsid");
        lock (gate)
        {
            current = process;
        }

        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            KillGroup(process.Id);
            throw;
        }
        finally
        {
            lock (gate)
            {
                current = null;
            }
        }

        lock (gate)
        {
            stages.Add(new StageResult(stage, process.ExitCode));
        }

        await File.AppendAllTextAsync(root.HostPath(OutputLog), $"Cloud-init simulator stage {stage} finished with exit code {process.ExitCode}\n", CancellationToken.None);
        return process.ExitCode;
    }

    public void Kill()
    {
        lock (gate)
        {
            if (current is { HasExited: false } p)
            {
                KillGroup(p.Id);
            }
        }
    }

    private static void KillGroup(int processGroup) =>
        HostCommand.RunAsync("kill", "-KILL", "--", "-" + processGroup.ToString(CultureInfo.InvariantCulture)).GetAwaiter().GetResult();

    private async Task WriteScriptAsync(string nodePath, string text, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(root.HostPath(nodePath))!);
        await File.WriteAllTextAsync(root.HostPath(nodePath), text, cancellationToken);
        File.SetUnixFileMode(root.HostPath(nodePath), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private void WriteFiles(IEnumerable<FileToWrite> files)
    {
        foreach (var file in files)
        {
            var host = root.HostPath(file.Path);
            var directory = System.IO.Path.GetDirectoryName(host)!;
            if (!Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }

            using (var stream = new FileStream(host, file.Append ? FileMode.Append : FileMode.Create))
            {
                stream.Write(file.Content);
            }

            File.SetUnixFileMode(host, file.Permissions);
            if (file.Owner != "root:root" && file.Owner != "root")
            {
                // Names resolve inside the node (its /etc/passwd), as cloud-init's chown does.
                HostCommand.RunAsync("chroot", root.Path, "chown", file.Owner, file.Path).GetAwaiter().GetResult().EnsureSuccess($"chown {file.Owner} {file.Path}");
            }

            File.AppendAllText(root.HostPath(OutputLog), $"Cloud-init simulator wrote {file.Path} ({file.Content.Length} bytes, {Convert.ToString((int)file.Permissions, 8)}{(file.Defer ? ", deferred" : string.Empty)})\n");
        }
    }

    private static byte[] Gunzipped(byte[] data)
    {
        if (data.Length < 2 || data[0] != 0x1f || data[1] != 0x8b)
        {
            return data;
        }

        using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(data), System.IO.Compression.CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }
}
