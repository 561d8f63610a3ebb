using System.Buffers.Binary;

namespace KrautPortal.Features.Images.Pipeline;

/// <summary>What content is, judged from its bytes alone.</summary>
public enum ContentKind
{
    Raw, Qcow2, VmdkSparse, VmdkDescriptor, Vhdx, Vdi, Iso,

    // Not images, or not ones Kraut takes: named so the refusal can say what they are.
    Vhd, Gzip, Xz, Bzip2, Zstd, Zip, Tar,
}

/// <summary>
/// Detects a format from magic numbers, never from a name: the name is the uploader's word, the bytes are what
/// qemu-img would act on. Anything without a known signature is raw, which qemu reads as plain bytes.
/// </summary>
public static class ContentSniffer
{
    /// <summary>Enough to see every signature below (the ISO 9660 one sits at 0x8001).</summary>
    public const int HeadBytes = 0x8800;

    public static ContentKind Detect(ReadOnlySpan<byte> head)
    {
        if (At(head, 0, [0x51, 0x46, 0x49, 0xfb])) return ContentKind.Qcow2; // "QFI\xfb"
        if (At(head, 0, "KDMV"u8)) return ContentKind.VmdkSparse;
        if (At(head, 0, "# Disk DescriptorFile"u8)) return ContentKind.VmdkDescriptor;
        if (At(head, 0, "vhdxfile"u8)) return ContentKind.Vhdx;
        if (head.Length >= 0x44 && BinaryPrimitives.ReadUInt32LittleEndian(head[0x40..]) == 0xbeda107f) return ContentKind.Vdi;
        if (At(head, 0, "conectix"u8)) return ContentKind.Vhd;
        if (At(head, 0, [0x1f, 0x8b])) return ContentKind.Gzip;
        if (At(head, 0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return ContentKind.Xz;
        if (At(head, 0, "BZh"u8)) return ContentKind.Bzip2;
        if (At(head, 0, [0x28, 0xb5, 0x2f, 0xfd])) return ContentKind.Zstd;
        if (At(head, 0, [0x50, 0x4b, 0x03, 0x04])) return ContentKind.Zip;
        if (At(head, 257, "ustar"u8)) return ContentKind.Tar;
        if (At(head, 0x8001, "CD001"u8)) return ContentKind.Iso;
        return ContentKind.Raw;
    }

    /// <summary>The format qemu-img is told for a kind it may read; null for kinds it never sees.</summary>
    public static SourceFormat? SourceFormatOf(ContentKind kind) => kind switch
    {
        ContentKind.Raw => SourceFormat.Raw,
        ContentKind.Qcow2 => SourceFormat.Qcow2,
        ContentKind.VmdkSparse => SourceFormat.Vmdk,
        ContentKind.Vhdx => SourceFormat.Vhdx,
        ContentKind.Vdi => SourceFormat.Vdi,
        ContentKind.Iso => SourceFormat.Iso,
        _ => null,
    };

    /// <summary>Why content of this kind is refused before any tool reads it; null when it may go on.</summary>
    public static string? RefusalFor(ContentKind kind) => kind switch
    {
        ContentKind.VmdkDescriptor =>
            "This is a VMDK descriptor: a small text file that names other files holding the disk's data, which would be read " +
            "from this host. Upload the disk as one file instead: a monolithicSparse or streamOptimized .vmdk, or convert it " +
            "(qemu-img convert -O qcow2 disk.vmdk disk.qcow2).",
        ContentKind.Vhd =>
            "This is a VHD (Virtual PC) image, which Kraut does not take. Convert it to VHDX, qcow2 or raw first " +
            "(qemu-img convert -f vpc -O qcow2 disk.vhd disk.qcow2).",
        ContentKind.Gzip => Compressed("gzip", "gunzip"),
        ContentKind.Xz => Compressed("xz", "unxz"),
        ContentKind.Bzip2 => Compressed("bzip2", "bunzip2"),
        ContentKind.Zstd => Compressed("zstd", "unzstd"),
        ContentKind.Zip => "This is a ZIP archive, not a disk image. Unpack it and upload the disk image inside.",
        ContentKind.Tar => "This is a tar archive (an OVA is one), not a disk image. Unpack it and upload the disk image inside (usually a .vmdk).",
        _ => null,
    };

    private static string Compressed(string what, string tool) =>
        $"This is a {what}-compressed file, not a disk image. Decompress it ({tool}) and upload the image inside.";

    private static bool At(ReadOnlySpan<byte> head, int offset, ReadOnlySpan<byte> signature) =>
        head.Length >= offset + signature.Length && head.Slice(offset, signature.Length).SequenceEqual(signature);
}
