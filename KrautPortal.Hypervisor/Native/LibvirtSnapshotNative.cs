using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

// Domain snapshots (libvirt-domain-snapshot.h) and the versions that decide which kinds of snapshot a host can do.
internal static partial class LibvirtNative
{
    /// <returns>A new snapshot reference the caller frees, or NULL on failure.</returns>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainSnapshotHandle virDomainSnapshotCreateXML(DomainHandle domain, string xmlDesc, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainSnapshotHandle virDomainSnapshotLookupByName(DomainHandle domain, string name, uint flags);

    /// <param name="snaps">Array allocated by libvirt: caller frees the array and each snapshot.</param>
    [LibraryImport(Lib)]
    internal static partial int virDomainListAllSnapshots(DomainHandle domain, out IntPtr snaps, uint flags);

    /// <returns>A string inside the snapshot object: not freed by the caller.</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virDomainSnapshotGetName(IntPtr snapshot);

    /// <returns>Caller frees.</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virDomainSnapshotGetXMLDesc(DomainSnapshotHandle snapshot, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainRevertToSnapshot(DomainSnapshotHandle snapshot, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainSnapshotDelete(DomainSnapshotHandle snapshot, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainSnapshotFree(IntPtr snapshot);

    /// <summary>libvirt's own version as major * 1,000,000 + minor * 1,000 + release.</summary>
    [LibraryImport(Lib)]
    internal static partial int virConnectGetLibVersion(ConnectHandle conn, out ulong libVer);

    /// <summary>The hypervisor's version (QEMU's for the qemu driver), encoded as <see cref="virConnectGetLibVersion"/>.</summary>
    [LibraryImport(Lib)]
    internal static partial int virConnectGetVersion(ConnectHandle conn, out ulong hvVer);
}

/// <summary>Owns one reference to a virDomainSnapshotPtr; releasing it calls virDomainSnapshotFree.</summary>
internal sealed class DomainSnapshotHandle : SafeHandle
{
    public DomainSnapshotHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of a pointer from an array libvirt returned (virDomainListAllSnapshots).</summary>
    public DomainSnapshotHandle(IntPtr owned)
        : base(IntPtr.Zero, ownsHandle: true) => SetHandle(owned);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => LibvirtNative.virDomainSnapshotFree(handle) == 0;
}
