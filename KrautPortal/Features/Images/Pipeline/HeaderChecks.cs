using System.Buffers.Binary;
using System.Text;

namespace KrautPortal.Features.Images.Pipeline;

/// <summary>
/// Reads the few header fields that decide whether qemu would open another file, before qemu-img sees the content:
/// a qcow2 backing file or external data file, a VMDK parent or a VMDK whose "sparse" header points at a descriptor.
/// qemu-img's own report is checked as well afterwards; this is the layer that does not depend on qemu.
/// </summary>
public static class HeaderChecks
{
    private const uint Qcow2IncompatCorrupt = 1 << 1;
    private const uint Qcow2IncompatDataFile = 1 << 2;
    private const uint Qcow2ExtensionDataFile = 0x44415441; // "DATA": the external data file's name
    private const int VmdkDescriptorBytes = 20 * 512; // what qemu's vmdk_parent_open reads at 0x200

    /// <summary>Refuses qcow2 content that would read another file, is encrypted, marked corrupt or cut short.</summary>
    public static void CheckQcow2(Stream content)
    {
        var head = ReadAt(content, 0, 2 << 20);
        if (head.Length < 72) throw TooShort("qcow2", head.Length, 72);
        var version = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(4));
        if (version == 1)
            throw new ImageRefusedException("This is a qcow image (version 1), an old format Kraut does not take. Convert it to qcow2 first (qemu-img convert -f qcow -O qcow2 old.img new.qcow2).");
        if (version is not (2 or 3)) throw new ImageRefusedException($"The qcow2 header says version {version}; only versions 2 and 3 exist.");

        var headerLength = version == 2 ? 72 : head.Length >= 104 ? (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(100)), int.MaxValue) : 104;
        if (head.Length < Math.Max(headerLength, 72)) throw TooShort("qcow2", head.Length, Math.Max(headerLength, 72));
        var clusterBits = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(20));
        if (clusterBits is < 9 or > 21) throw new ImageRefusedException($"The qcow2 header is damaged: it gives a cluster size of 2^{clusterBits} bytes.");

        var backingOffset = BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(8));
        var backingLength = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(16));
        if (backingOffset != 0 || backingLength != 0)
        {
            var name = TextAt(content, backingOffset, Math.Min(backingLength, 1023u));
            throw new ImageRefusedException(
                $"This qcow2 image is an overlay on a backing file{Named(name)}, which would be read from this host. Upload a standalone " +
                "image instead (qemu-img convert -O qcow2 overlay.qcow2 standalone.qcow2 merges the chain).");
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(32)) != 0)
            throw new ImageRefusedException("This qcow2 image is encrypted; Kraut cannot read it without the key. Upload an unencrypted image.");

        var incompatible = version == 3 ? BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(72)) : 0;
        string? dataFile = null;
        var clusterEnd = (int)Math.Min(head.Length, 1L << (int)clusterBits);
        for (long pos = headerLength; pos + 8 <= clusterEnd;)
        {
            var type = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan((int)pos));
            var length = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan((int)pos + 4));
            if (type == 0) break;
            if (type == Qcow2ExtensionDataFile)
            {
                dataFile = Encoding.Latin1.GetString(head.AsSpan((int)pos + 8, (int)Math.Min(length, clusterEnd - pos - 8)));
            }
            pos += 8 + ((length + 7L) & ~7L);
        }

        if ((incompatible & Qcow2IncompatDataFile) != 0 || dataFile is not null)
        {
            throw new ImageRefusedException(
                $"This qcow2 image keeps its data in an external file{Named(dataFile)}, which would be read from this host. " +
                "Upload a standalone image instead (qemu-img convert -O qcow2 image.qcow2 standalone.qcow2).");
        }

        if ((incompatible & Qcow2IncompatCorrupt) != 0)
            throw new ImageRefusedException("This qcow2 image is marked corrupt by the program that last wrote it. Repair it where it came from (qemu-img check -r all) and upload it again.");
    }

    /// <summary>
    /// Refuses a sparse VMDK that qemu would not read as one self-contained file: a header with no capacity makes
    /// qemu treat its embedded descriptor as a descriptor file, whose extents can name any file (CVE-2024-32498);
    /// a parentFileNameHint makes it a delta disk whose parent is read from this host.
    /// </summary>
    public static void CheckVmdkSparse(Stream content)
    {
        var head = ReadAt(content, 0, 512);
        if (head.Length < 512) throw TooShort("VMDK", head.Length, 512);
        var capacity = BinaryPrimitives.ReadUInt64LittleEndian(head.AsSpan(12));
        var descriptorOffset = BinaryPrimitives.ReadUInt64LittleEndian(head.AsSpan(28));
        var descriptorSectors = BinaryPrimitives.ReadUInt64LittleEndian(head.AsSpan(36));
        if (capacity == 0)
        {
            throw new ImageRefusedException(
                "This VMDK's header declares no capacity and points at a descriptor instead, which can name other files to read " +
                "from this host. Upload a monolithicSparse or streamOptimized .vmdk as VMware writes it, or convert it to qcow2.");
        }

        // Searched past NULs too, which is stricter than qemu's strstr.
        foreach (var descriptor in new[]
        {
            TextAt(content, 512, VmdkDescriptorBytes, stopAtNul: false),
            descriptorOffset is > 0 and < long.MaxValue / 512
                ? TextAt(content, descriptorOffset * 512, (uint)Math.Min(descriptorSectors * 512, 1 << 20), stopAtNul: false) : null,
        })
        {
            if (descriptor is null) continue;
            var at = descriptor.IndexOf("parentFileNameHint", StringComparison.Ordinal);
            if (at < 0) continue;
            var line = descriptor[at..].Split('\n')[0];
            var quoted = line.Split('"');
            throw new ImageRefusedException(
                $"This VMDK is a delta disk on a parent{Named(quoted.Length > 1 ? quoted[1] : null)}, which would be read from this host. " +
                "Upload a standalone disk instead (consolidate the snapshots, or qemu-img convert -O qcow2 disk.vmdk disk.qcow2 where the parent is).");
        }
    }

    private static ImageRefusedException TooShort(string format, int have, int need) => new(
        $"The {format} header is cut short: the file has {have} bytes where the header alone needs {need}. The upload may be incomplete.");

    private static string Named(string? name) => string.IsNullOrEmpty(name) ? "" : $" ('{Printable(name)}')";

    private static byte[] ReadAt(Stream content, long offset, int count)
    {
        if (offset >= content.Length) return [];
        content.Position = offset;
        var buffer = new byte[(int)Math.Min(count, content.Length - offset)];
        content.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>Text at an offset the content chose, if that is inside the file; NUL-terminated as C code reads it.</summary>
    private static string? TextAt(Stream content, ulong offset, uint count, bool stopAtNul = true)
    {
        if (offset > (ulong)content.Length || count == 0) return null;
        var bytes = ReadAt(content, (long)offset, (int)count);
        var end = stopAtNul ? Array.IndexOf(bytes, (byte)0) : -1;
        return Encoding.Latin1.GetString(bytes, 0, end < 0 ? bytes.Length : end);
    }

    /// <summary>A name from the file, safe to show: up to the first NUL, printable characters only, and not too long.</summary>
    internal static string Printable(string name)
    {
        var text = new string(name.TakeWhile(c => c != '\0').Where(c => !char.IsControl(c)).ToArray());
        return text.Length > 200 ? text[..200] + "…" : text;
    }
}
