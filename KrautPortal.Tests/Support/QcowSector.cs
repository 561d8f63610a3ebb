using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Support;

/// <summary>
/// One 512-byte sector of a qcow2 on this machine as its guest sees it (through the backing chain), read with
/// <c>qemu-img dd</c>; <c>-U</c> because the disk may belong to a running guest.
/// </summary>
public static class QcowSector
{
    /// <param name="withoutBacking">Read the overlay alone (what it does not hold reads as zeros): for an overlay whose
    /// backing file's path is another host's.</param>
    public static byte[] Bytes(string qcow2, long sector, bool withoutBacking = false)
    {
        var file = Path.Combine(Path.GetTempPath(), $"kraut-sector-{Guid.NewGuid():N}");
        // qemu-img dd counts from the start of the image, so count is one past the sector.
        var source = withoutBacking
            ? new[] { "-O", "raw", "bs=512", $"skip={sector}", $"count={sector + 1}",
                "if=json:" + new System.Text.Json.Nodes.JsonObject
                {
                    ["driver"] = "qcow2", ["file"] = new System.Text.Json.Nodes.JsonObject { ["driver"] = "file", ["filename"] = qcow2 }, ["backing"] = null,
                }.ToJsonString() }
            : ["-f", "qcow2", "-O", "raw", "bs=512", $"skip={sector}", $"count={sector + 1}", $"if={qcow2}"];
        Tool.Run("qemu-img", ["dd", "-U", .. source, $"of={file}"]);
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
    public static string Text(string qcow2, long sector, bool withoutBacking = false) =>
        System.Text.Encoding.ASCII.GetString(Bytes(qcow2, sector, withoutBacking)).TrimEnd('\0');
}
