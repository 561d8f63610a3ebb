using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

/// <summary>Owns one reference to a virStoragePoolPtr; releasing it calls virStoragePoolFree.</summary>
internal sealed class StoragePoolHandle : SafeHandle
{
    public StoragePoolHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => LibvirtNative.virStoragePoolFree(handle) == 0;
}

/// <summary>Owns one reference to a virStorageVolPtr; releasing it calls virStorageVolFree.</summary>
internal sealed class StorageVolHandle : SafeHandle
{
    public StorageVolHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of a pointer from an array libvirt returned (virStoragePoolListAllVolumes).</summary>
    public StorageVolHandle(IntPtr owned)
        : base(IntPtr.Zero, ownsHandle: true) => SetHandle(owned);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => LibvirtNative.virStorageVolFree(handle) == 0;
}
