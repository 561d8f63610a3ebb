using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

/// <summary>Owns one reference to a virConnectPtr; releasing it calls virConnectClose.</summary>
internal sealed class ConnectHandle : SafeHandle
{
    public ConnectHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    // virConnectClose returns the remaining reference count (>= 0) or -1; only -1 is a failure.
    protected override bool ReleaseHandle() => LibvirtNative.virConnectClose(handle) >= 0;
}
