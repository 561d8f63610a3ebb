using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

/// <summary>
/// fsync for a file's content and for a directory's entries: a rename is only durable once the directory holding
/// it is synced, and .NET has no call for a directory. Used by the portal's image upload and pipeline.
/// </summary>
public static partial class DurableFiles
{
    public static void SyncFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Renames <paramref name="from"/> over <paramref name="to"/> and makes both the content and the new name durable.</summary>
    public static void Publish(string from, string to)
    {
        SyncFile(from);
        File.Move(from, to, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(to)!);
    }

    public static void SyncDirectory(string path)
    {
        var fd = open(path, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"Cannot open {path} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (fsync(fd) != 0) throw new IOException($"fsync of {path} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = close(fd);
        }
    }

    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc.so.6")]
    private static partial int close(int fd);
}
