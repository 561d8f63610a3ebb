using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

// Storage pools and volumes: how a VM's disk, seed and base image reach a host that is not this machine.
internal static partial class LibvirtNative
{
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StoragePoolHandle virStoragePoolLookupByName(ConnectHandle conn, string name);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StoragePoolHandle virStoragePoolDefineXML(ConnectHandle conn, string xml, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StoragePoolHandle virStoragePoolCreateXML(ConnectHandle conn, string xml, uint flags);

    /// <param name="flags">0: make the pool's directory (mkdir -p) if it does not exist.</param>
    [LibraryImport(Lib)]
    internal static partial int virStoragePoolBuild(StoragePoolHandle pool, uint flags);

    /// <summary>Starts a defined pool.</summary>
    [LibraryImport(Lib)]
    internal static partial int virStoragePoolCreate(StoragePoolHandle pool, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolSetAutostart(StoragePoolHandle pool, int autostart);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolIsActive(StoragePoolHandle pool);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolRefresh(StoragePoolHandle pool, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolDestroy(StoragePoolHandle pool);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolUndefine(StoragePoolHandle pool);

    /// <returns>Owned string (free it).</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virStoragePoolGetXMLDesc(StoragePoolHandle pool, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolListAllVolumes(StoragePoolHandle pool, out IntPtr vols, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolGetInfo(StoragePoolHandle pool, out VirStoragePoolInfo info);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolFree(IntPtr pool);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolHandle virStorageVolLookupByName(StoragePoolHandle pool, string name);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolHandle virStorageVolCreateXML(StoragePoolHandle pool, string xml, uint flags);

    /// <remarks>The volume's content is then sent on <paramref name="stream"/> (virStreamSend, virStreamFinish).</remarks>
    [LibraryImport(Lib)]
    internal static partial int virStorageVolUpload(StorageVolHandle vol, StreamHandle stream, ulong offset, ulong length, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStorageVolDownload(StorageVolHandle vol, StreamHandle stream, ulong offset, ulong length, uint flags);

    /// <returns>Owned string (free it): the volume's path on its host.</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virStorageVolGetPath(StorageVolHandle vol);

    /// <returns>Borrowed string (libvirt owns it while the volume lives).</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virStorageVolGetName(StorageVolHandle vol);

    [LibraryImport(Lib)]
    internal static partial int virStorageVolGetInfo(StorageVolHandle vol, out VirStorageVolInfo info);

    [LibraryImport(Lib)]
    internal static partial int virStorageVolDelete(StorageVolHandle vol, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStorageVolFree(IntPtr vol);

    /// <summary>A stream on a raw connection pointer taken from a pool or volume.</summary>
    [LibraryImport(Lib)]
    internal static partial IntPtr virStorageVolGetConnect(StorageVolHandle vol);
}

/// <summary>struct _virStorageVolInfo: type, then capacity and allocation in bytes (unsigned long long).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirStorageVolInfo
{
    public int Type;
    public ulong Capacity;
    public ulong Allocation;
}

/// <summary>struct _virStoragePoolInfo: state, then capacity, allocation and available bytes of the pool's file system.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirStoragePoolInfo
{
    public int State;
    public ulong Capacity;
    public ulong Allocation;
    public ulong Available;
}
