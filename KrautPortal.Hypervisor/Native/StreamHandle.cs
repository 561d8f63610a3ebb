using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

/// <summary>Owns one reference to a virStreamPtr; releasing it calls virStreamFree.</summary>
/// <remarks>
/// Every call that takes this handle holds a reference for its duration, so a Dispose on another thread
/// while a Recv blocks only marks it closed: virStreamFree runs when that Recv has returned.
/// </remarks>
internal sealed class StreamHandle : SafeHandle
{
    public StreamHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => LibvirtNative.virStreamFree(handle) == 0;
}
