namespace KrautPortal.Hypervisor.Native;

/// <summary>Reads libvirt's thread-local last error into a <see cref="LibvirtException"/>.</summary>
/// <remarks>
/// Call right after the failing function on the same thread, with no await in between:
/// libvirt keeps the error per OS thread and the next libvirt call on that thread resets it.
/// </remarks>
internal static class LibvirtError
{
    public static LibvirtException Capture(string operation)
    {
        var err = default(VirError);
        try
        {
            // virCopyLastError deep-copies the strings; virResetError below frees that copy.
            LibvirtNative.virCopyLastError(ref err);
            var message = NativeStrings.Borrowed(err.Message);
            return new LibvirtException(operation, err.Code, err.Domain, message);
        }
        finally
        {
            LibvirtNative.virResetError(ref err);
        }
    }

    /// <summary>Throws when a libvirt int result is negative (-1 means failure).</summary>
    public static int Check(int result, string operation) =>
        result < 0 ? throw Capture(operation) : result;

    /// <summary>Throws when a returned handle is NULL, disposing the empty SafeHandle first.</summary>
    public static T Check<T>(T handle, string operation)
        where T : System.Runtime.InteropServices.SafeHandle
    {
        if (!handle.IsInvalid)
        {
            return handle;
        }

        var ex = Capture(operation);
        handle.Dispose();
        throw ex;
    }

    /// <summary>For functions returning a string the caller owns: NULL is a failure.</summary>
    public static string TakeOwnedString(IntPtr ptr, string operation) =>
        NativeStrings.TakeOwned(ptr) ?? throw Capture(operation);
}
