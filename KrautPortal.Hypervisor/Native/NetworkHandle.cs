using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

/// <summary>Owns one reference to a virNetworkPtr; releasing it calls virNetworkFree.</summary>
internal sealed class NetworkHandle : SafeHandle
{
    public NetworkHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of a pointer from an array libvirt returned (virConnectListAllNetworks).</summary>
    public NetworkHandle(IntPtr owned)
        : base(IntPtr.Zero, ownsHandle: true) => SetHandle(owned);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => LibvirtNative.virNetworkFree(handle) == 0;
}
