using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

// Backups and checkpoints (libvirt-domain.h, libvirt-domain-checkpoint.h); job statistics and abort are in
// LibvirtMigrationNative.cs, shared with live migration.
internal static partial class LibvirtNative
{
    /// <summary>Starts a backup job (push mode: QEMU writes the targets itself) and, with a checkpoint XML, the checkpoint in the same step.</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainBackupBegin(DomainHandle domain, string backupXml, string? checkpointXml, uint flags);

    /// <summary>The running backup job's XML (with the targets libvirt chose); a string the caller frees.</summary>
    [LibraryImport(Lib)]
    internal static partial IntPtr virDomainBackupGetXMLDesc(DomainHandle domain, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial CheckpointHandle virDomainCheckpointCreateXML(DomainHandle domain, string xml, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial CheckpointHandle virDomainCheckpointLookupByName(DomainHandle domain, string name, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainCheckpointDelete(CheckpointHandle checkpoint, uint flags);

    /// <summary>With a null array: only how many checkpoints the domain has.</summary>
    [LibraryImport(Lib)]
    internal static partial int virDomainListAllCheckpoints(DomainHandle domain, IntPtr checkpoints, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainCheckpointFree(IntPtr checkpoint);

    /// <summary>Through the guest agent: freezes the guest's filesystems (a null list: all of them); how many were frozen.</summary>
    [LibraryImport(Lib)]
    internal static partial int virDomainFSFreeze(DomainHandle domain, IntPtr mountpoints, uint nmountpoints, uint flags);

    /// <summary>Through the guest agent: thaws what <see cref="virDomainFSFreeze"/> froze; how many were thawed.</summary>
    [LibraryImport(Lib)]
    internal static partial int virDomainFSThaw(DomainHandle domain, IntPtr mountpoints, uint nmountpoints, uint flags);
}

/// <summary>Owns one reference to a virDomainCheckpointPtr; releasing it calls virDomainCheckpointFree.</summary>
internal sealed class CheckpointHandle : SafeHandle
{
    public CheckpointHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => LibvirtNative.virDomainCheckpointFree(handle) == 0;
}
