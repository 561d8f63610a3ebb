using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

/// <summary>Owns one reference to a virDomainPtr; releasing it calls virDomainFree.</summary>
internal sealed class DomainHandle : SafeHandle
{
    public DomainHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of a pointer from an array libvirt returned (virConnectListAllDomains).</summary>
    public DomainHandle(IntPtr owned)
        : base(IntPtr.Zero, ownsHandle: true) => SetHandle(owned);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => LibvirtNative.virDomainFree(handle) == 0;
}
