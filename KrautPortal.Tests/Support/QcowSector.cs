using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Support;

/// <summary>
/// One 512-byte sector of a qcow2 on this machine as its guest sees it (through the backing chain), read with
/// <c>qemu-img dd</c>; <c>-U</c> because the disk may belong to a running guest.
/// </summary>
public static class QcowSector
{
    public static byte[] Bytes(string qcow2, int sector)
    {
        var file = qcow2 + ".sector";
        // qemu-img dd counts from the start of the image, so count is one past the sector.
        Tool.Run("qemu-img", "dd", "-U", "-f", "qcow2", "-O", "raw", "bs=512", $"skip={sector}", $"count={sector + 1}", $"if={qcow2}", $"of={file}");
        try
        {
            return File.ReadAllBytes(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The sector as ASCII text, without the zero bytes after what was written.</summary>
    public static string Text(string qcow2, int sector) => System.Text.Encoding.ASCII.GetString(Bytes(qcow2, sector)).TrimEnd('\0');
}
