using System.Collections.Concurrent;

namespace NodeImager.SelfAssembly.Tests.Simulation;

/// <summary>
/// A simulated node's root file system: an overlay whose lower layers are the simulator layer (curl, fuser) and the
/// shared trixie chroot, whose upper layer is this node's alone, so nodes never see each other's files. /proc and
/// /dev are mounted, and the cluster-wide directory (what the API server would know) is bind-mounted at
/// /run/sim-cluster. Dispose unmounts everything, also after failures; a process-exit hook unmounts what a crashed
/// test run left behind.
/// </summary>
public sealed class NodeRoot : IAsyncDisposable
{
    public const string SharedMountPoint = "/run/sim-cluster";

    private static readonly ConcurrentDictionary<string, NodeRoot> Mounted = new();
    private readonly List<string> mounts = [];
    private readonly string baseDirectory;

    static NodeRoot() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var root in Mounted.Values)
        {
            root.UnmountAll(lazy: true);
        }
    };

    private NodeRoot(string baseDirectory)
    {
        this.baseDirectory = baseDirectory;
        Path = System.IO.Path.Combine(baseDirectory, "root");
    }

    /// <summary>The merged root on the host (what chroot gets).</summary>
    public string Path { get; }

    /// <summary>Only what this node wrote (the overlay's upper directory).</summary>
    public string UpperPath => System.IO.Path.Combine(baseDirectory, "upper");

    public static string ChrootPath => Environment.GetEnvironmentVariable("NODEIMAGER_CHROOT") is { Length: > 0 } p ? p : "/var/cache/nodeimager/trixie";

    /// <summary>Mounts a node root; layer is the lower layers above the chroot, topmost first, separated by ':' (e.g. a
    /// golden image's snapshot, then the simulator layer).</summary>
    public static async Task<NodeRoot> MountAsync(string name, string sharedDirectory, string layer, CancellationToken cancellationToken = default)
    {
        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("The node simulator needs root (overlayfs and proc mounts, chroot, unshare); run these tests as root.");
        }

        var baseDirectory = CreateBaseDirectory(name);
        var root = new NodeRoot(baseDirectory);
        try
        {
            // 0755 whatever the umask: the merged root takes the upper directory's mode, and sshd's ChrootDirectory
            // refuses a group- or world-writable one.
            Directory.CreateDirectory(root.UpperPath, RootOnlyWrites);
            Directory.CreateDirectory(System.IO.Path.Combine(baseDirectory, "work"));
            Directory.CreateDirectory(root.Path, RootOnlyWrites);
            await root.MountAsync(root.Path, ["-t", "overlay", "overlay", "-o", $"lowerdir={layer}:{ChrootPath},upperdir={root.UpperPath},workdir={System.IO.Path.Combine(baseDirectory, "work")}", root.Path], cancellationToken);
            Mounted[baseDirectory] = root;
            await root.MountAsync(root.HostPath("/proc"), ["-t", "proc", "proc", root.HostPath("/proc")], cancellationToken);
            await root.MountAsync(root.HostPath("/dev"), ["--bind", "/dev", root.HostPath("/dev")], cancellationToken);
            Directory.CreateDirectory(root.HostPath(SharedMountPoint));
            await root.MountAsync(root.HostPath(SharedMountPoint), ["--bind", sharedDirectory, root.HostPath(SharedMountPoint)], cancellationToken);
            return root;
        }
        catch
        {
            await root.DisposeAsync();
            throw;
        }
    }

    /// <summary>Where node roots live: not under /tmp, because sshd's ChrootDirectory (the demo and its test log in to
    /// a node's root) refuses a path with a world-writable component. Override with NODEIMAGER_SIM_DIR.</summary>
    public static string Parent => Environment.GetEnvironmentVariable("NODEIMAGER_SIM_DIR") is { Length: > 0 } p ? p : "/var/lib/nodeimager/sim";

    /// <summary>The host path of a path inside the node.</summary>
    public string HostPath(string nodePath) => System.IO.Path.Combine(Path, nodePath.TrimStart('/'));

    public string? ReadFile(string nodePath) => File.Exists(HostPath(nodePath)) ? File.ReadAllText(HostPath(nodePath)) : null;

    public ValueTask DisposeAsync()
    {
        UnmountAll(lazy: false);
        Mounted.TryRemove(baseDirectory, out _);
        try
        {
            if (mounts.Count == 0)
            {
                Directory.Delete(baseDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left for inspection; a mount that would not go away keeps the directory busy.
        }

        return ValueTask.CompletedTask;
    }

    private const UnixFileMode RootOnlyWrites = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private static string CreateBaseDirectory(string name)
    {
        Directory.CreateDirectory(Parent, RootOnlyWrites);
        var path = System.IO.Path.Combine(Parent, $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private async Task MountAsync(string target, string[] args, CancellationToken cancellationToken)
    {
        (await HostCommand.RunAsync("mount", args, cancellationToken)).EnsureSuccess($"mount {string.Join(' ', args)}");
        lock (mounts)
        {
            mounts.Add(target);
        }
    }

    private void UnmountAll(bool lazy)
    {
        lock (mounts)
        {
            for (var i = mounts.Count - 1; i >= 0; i--)
            {
                var result = HostCommand.RunAsync("umount", mounts[i]).GetAwaiter().GetResult();
                if (result.ExitCode != 0)
                {
                    // Busy (a process still inside): detach it now, the kernel frees it when the last user goes.
                    result = HostCommand.RunAsync("umount", "-l", mounts[i]).GetAwaiter().GetResult();
                }

                if (result.ExitCode == 0 || lazy)
                {
                    mounts.RemoveAt(i);
                }
            }
        }
    }
}
