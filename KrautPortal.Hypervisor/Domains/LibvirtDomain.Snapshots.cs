using System.Runtime.InteropServices;
using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

// Internal snapshots of one domain: take, find, list, revert, delete. Snapshots are looked up by name each time and
// their handles freed at once: Kraut names them by its record ids and keeps no libvirt snapshot object around.
public sealed partial class LibvirtDomain
{
    private const uint SnapshotRevertForce = 1 << 2; // VIR_DOMAIN_SNAPSHOT_REVERT_FORCE
    private const uint SnapshotCreateRedefine = 1 << 0; // VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE
    private const uint SnapshotListTopological = 1 << 10; // VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL

    /// <summary>Takes an internal snapshot named <paramref name="name"/> (see <see cref="SnapshotXml.Internal"/>).</summary>
    /// <remarks>Blocks until libvirt finished: with memory, QEMU writes the guest's RAM into the qcow2 file first.</remarks>
    public DomainSnapshotInfo CreateSnapshot(string name, string? description, bool withMemory)
    {
        var xml = SnapshotXml.Internal(name, description, withMemory);
        using var snapshot = LibvirtError.Check(LibvirtNative.virDomainSnapshotCreateXML(_handle, xml, 0), "virDomainSnapshotCreateXML");
        return Describe(snapshot);
    }

    /// <summary>The snapshot so named, or null when the domain has none (VIR_ERR_NO_DOMAIN_SNAPSHOT).</summary>
    public DomainSnapshotInfo? FindSnapshot(string name)
    {
        using var snapshot = Lookup(name);
        return snapshot is null ? null : Describe(snapshot);
    }

    public IReadOnlyList<DomainSnapshotInfo> ListSnapshots() => WithSnapshots(0, Describe);

    /// <summary>
    /// Every snapshot's full XML document (with the domain definition it was taken with), parents before their children:
    /// what <see cref="RedefineSnapshot"/> on another host needs, in the order it needs it.
    /// </summary>
    public IReadOnlyList<string> SnapshotDocuments() =>
        WithSnapshots(SnapshotListTopological, s => LibvirtError.TakeOwnedString(LibvirtNative.virDomainSnapshotGetXMLDesc(s, 0), "virDomainSnapshotGetXMLDesc"));

    /// <summary>
    /// Records a snapshot whose data is already in the domain's disks (copied from another host with them) from its XML
    /// document; its parent must be recorded first. Nothing is taken: libvirt only learns of it.
    /// </summary>
    public DomainSnapshotInfo RedefineSnapshot(string document)
    {
        using var snapshot = LibvirtError.Check(LibvirtNative.virDomainSnapshotCreateXML(_handle, document, SnapshotCreateRedefine), "virDomainSnapshotCreateXML");
        return Describe(snapshot);
    }

    private List<T> WithSnapshots<T>(uint flags, Func<DomainSnapshotHandle, T> read)
    {
        var count = LibvirtError.Check(LibvirtNative.virDomainListAllSnapshots(_handle, out var array, flags), "virDomainListAllSnapshots");
        var handles = new List<DomainSnapshotHandle>(count);
        try
        {
            for (var i = 0; i < count; i++) handles.Add(new DomainSnapshotHandle(Marshal.ReadIntPtr(array, i * IntPtr.Size)));
        }
        finally
        {
            LibvirtNative.free(array);
        }

        try
        {
            return handles.Select(read).ToList();
        }
        finally
        {
            foreach (var handle in handles) handle.Dispose();
        }
    }

    /// <summary>
    /// Puts disk (and, with memory, the running guest) back to the snapshot; the domain ends up in the snapshot's state
    /// (running when it holds memory, shut off when not). Forced: the caller has confirmed losing what changed since.
    /// </summary>
    /// <returns>False when the domain has no such snapshot.</returns>
    public bool RevertToSnapshot(string name)
    {
        using var snapshot = Lookup(name);
        if (snapshot is null) return false;
        LibvirtError.Check(LibvirtNative.virDomainRevertToSnapshot(snapshot, SnapshotRevertForce), "virDomainRevertToSnapshot");
        return true;
    }

    /// <summary>Deletes one snapshot (its children are re-parented onto its parent).</summary>
    /// <returns>False when it was already gone: deleting is idempotent.</returns>
    public bool DeleteSnapshot(string name)
    {
        using var snapshot = Lookup(name);
        if (snapshot is null) return false;
        LibvirtError.Check(LibvirtNative.virDomainSnapshotDelete(snapshot, 0), "virDomainSnapshotDelete");
        return true;
    }

    private DomainSnapshotHandle? Lookup(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var handle = LibvirtNative.virDomainSnapshotLookupByName(_handle, name, 0);
        if (!handle.IsInvalid) return handle;
        var error = LibvirtError.Capture("virDomainSnapshotLookupByName");
        handle.Dispose();
        return error.IsNoDomainSnapshot ? null : throw error;
    }

    private static DomainSnapshotInfo Describe(DomainSnapshotHandle snapshot) =>
        SnapshotXml.Parse(LibvirtError.TakeOwnedString(LibvirtNative.virDomainSnapshotGetXMLDesc(snapshot, 0), "virDomainSnapshotGetXMLDesc"));
}
