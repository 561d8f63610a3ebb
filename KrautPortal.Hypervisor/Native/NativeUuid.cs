using System.Text;

namespace KrautPortal.Hypervisor.Native;

/// <summary>Reads the NUL-terminated UUID string libvirt writes into a caller's buffer.</summary>
internal static class NativeUuid
{
    /// <summary>VIR_UUID_STRING_BUFLEN: 36 characters plus NUL.</summary>
    public const int BufferLength = 37;

    public static unsafe Guid Parse(byte* buf) =>
        Guid.Parse(Encoding.ASCII.GetString(buf, BufferLength - 1));
}
