using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

/// <summary>Turns C strings from libvirt into managed strings, freeing exactly those the caller owns.</summary>
internal static class NativeStrings
{
    /// <summary>For strings the caller must free (virDomainGetXMLDesc and friends): copies, then frees once.</summary>
    public static string? TakeOwned(IntPtr ptr)
    {
        if (ptr == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(ptr);
        }
        finally
        {
            LibvirtNative.free(ptr);
        }
    }

    /// <summary>For strings libvirt keeps owning (virDomainGetName): copies, never frees.</summary>
    public static string? Borrowed(IntPtr ptr) => ptr == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(ptr);
}
