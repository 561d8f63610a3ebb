using System.Text;

namespace KrautPortal.Features.Images.Pipeline;

/// <summary>
/// Warnings about content qemu reads fine but that no VM can boot from: too small to hold a system, or a disk
/// without a boot sector or partition table (a random file is a valid raw image). Kept as warnings, not refusals:
/// a data disk or a bare file system may be wanted on purpose.
/// </summary>
public static class BootChecks
{
    /// <summary>Smaller than this, a disk cannot hold any operating system worth booting.</summary>
    public const long MinBootableBytes = 1 << 20;

    /// <summary>How much of the guest's disk <see cref="Warnings"/> looks at: the MBR and a GPT header on 512- or 4096-byte sectors.</summary>
    public const int HeadBytes = 8192;

    private static readonly byte[] GptSignature = Encoding.ASCII.GetBytes("EFI PART");

    /// <param name="head">The first bytes of the disk as the guest sees it (null for an installer ISO, which the sniffer already recognised).</param>
    public static IReadOnlyList<string> Warnings(ReadOnlySpan<byte> head, bool isIso, long virtualSizeBytes)
    {
        var warnings = new List<string>();
        if (virtualSizeBytes < MinBootableBytes)
        {
            warnings.Add($"The {(isIso ? "ISO" : "disk")} is only {Sizes.Describe(virtualSizeBytes)}: too small for any operating system. " +
                "It may not be the file you meant to upload.");
        }
        if (!isIso && !HasBootSector(head) && !HasGpt(head))
        {
            warnings.Add("The disk has no boot sector and no partition table (no MBR signature 0x55AA at byte 510, no GPT header), " +
                "so a VM cannot boot from it. It may be a data disk, a bare file system, or not a disk image at all.");
        }
        return warnings;
    }

    private static bool HasBootSector(ReadOnlySpan<byte> head) => head.Length >= 512 && head[510] == 0x55 && head[511] == 0xAA;

    private static bool HasGpt(ReadOnlySpan<byte> head) =>
        (head.Length >= 520 && head.Slice(512, 8).SequenceEqual(GptSignature)) || (head.Length >= 4104 && head.Slice(4096, 8).SequenceEqual(GptSignature));
}
