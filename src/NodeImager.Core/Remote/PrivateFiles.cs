using System.Text;

namespace NodeImager.Core.Remote;

/// <summary>Files only the operator may read: SSH keys and kubeconfigs grant a cluster (ssh refuses a key others can
/// read). Folders are 0700, files 0600; Windows keeps its own ACLs.</summary>
public static class PrivateFiles
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the folder if needed and makes it private to the operator (0700), even when it was there.</summary>
    public static void EnsureFolder(string path)
    {
        Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, OwnerOnlyFolder);
        }
    }

    /// <summary>Creates or replaces <paramref name="path"/> with <paramref name="text"/> (UTF-8), readable by its owner only.</summary>
    public static void Write(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        using (var stream = new FileStream(path, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
        }

        if (!OperatingSystem.IsWindows())
        {
            // UnixCreateMode is filtered by the umask and not applied to an existing file: set it outright.
            File.SetUnixFileMode(path, OwnerOnlyFile);
        }
    }
}
