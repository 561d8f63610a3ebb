using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

/// <summary>One volume (a file in a directory pool) of a libvirt host; its content moves by stream, never by path.</summary>
public sealed class LibvirtStorageVolume : IDisposable
{
    private const int Chunk = 256 * 1024;
    private readonly StorageVolHandle _handle;

    internal LibvirtStorageVolume(StorageVolHandle handle)
    {
        _handle = handle;
        Name = NativeStrings.Borrowed(LibvirtNative.virStorageVolGetName(handle)) ?? throw LibvirtError.Capture("virStorageVolGetName");
    }

    public string Name { get; }

    /// <summary>The volume's file on its host: what a domain's disk source names.</summary>
    public string Path => LibvirtError.TakeOwnedString(LibvirtNative.virStorageVolGetPath(_handle), "virStorageVolGetPath");

    /// <summary>Virtual size (what the guest sees) and bytes allocated on the host.</summary>
    public (long CapacityBytes, long AllocationBytes) GetInfo()
    {
        LibvirtError.Check(LibvirtNative.virStorageVolGetInfo(_handle, out var info), "virStorageVolGetInfo");
        return ((long)info.Capacity, (long)info.Allocation);
    }

    public void Delete() => LibvirtError.Check(LibvirtNative.virStorageVolDelete(_handle, 0), "virStorageVolDelete");

    /// <summary>Replaces the volume's bytes from offset 0 with all of <paramref name="content"/> (blocking; run it off the request thread).</summary>
    public void Upload(Stream content, long length, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var stream = NewStream();
        LibvirtError.Check(LibvirtNative.virStorageVolUpload(_handle, stream.Handle, 0, (ulong)length, 0), "virStorageVolUpload");
        var buffer = new byte[Chunk];
        long sent = 0;
        while (sent < length)
        {
            ct.ThrowIfCancellationRequested();
            var read = content.Read(buffer, 0, (int)Math.Min(buffer.Length, length - sent));
            if (read == 0) throw new EndOfStreamException($"The content ended after {sent} of {length} bytes.");
            stream.Send(buffer.AsSpan(0, read));
            sent += read;
        }
        stream.Finish();
    }

    /// <summary>Copies the volume's bytes (up to <paramref name="maxBytes"/> from <paramref name="offset"/>; 0 for all) into <paramref name="destination"/>.</summary>
    public long Download(Stream destination, long offset = 0, long maxBytes = 0, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var stream = NewStream();
        LibvirtError.Check(LibvirtNative.virStorageVolDownload(_handle, stream.Handle, (ulong)offset, (ulong)maxBytes, 0), "virStorageVolDownload");
        var buffer = new byte[Chunk];
        long total = 0;
        int read;
        while ((read = stream.Receive(buffer)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            destination.Write(buffer, 0, read);
            total += read;
        }
        stream.Finish();
        return total;
    }

    private LibvirtStream NewStream()
    {
        var conn = LibvirtNative.virStorageVolGetConnect(_handle);
        if (conn == IntPtr.Zero) throw LibvirtError.Capture("virStorageVolGetConnect");
        return new LibvirtStream(LibvirtError.Check(LibvirtNative.virStreamNew(conn, 0), "virStreamNew"));
    }

    public void Dispose() => _handle.Dispose();

    public override string ToString() => Name;
}
