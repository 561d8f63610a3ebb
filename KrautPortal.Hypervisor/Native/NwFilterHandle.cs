using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

/// <summary>Owns one reference to a virNWFilterPtr; releasing it calls virNWFilterFree.</summary>
internal sealed class NwFilterHandle : SafeHandle
{
    public NwFilterHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => LibvirtNative.virNWFilterFree(handle) == 0;
}
