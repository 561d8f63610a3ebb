namespace KrautPortal.Hypervisor;

/// <summary>What qemu-img info reports about one image file (not its backing chain).</summary>
/// <param name="BackingFilename">As written in the image header: may be relative to the image.</param>
/// <param name="DataFile">qcow2 external data file, if any: such an image reads another file's bytes.</param>
/// <param name="ExtentFilenames">VMDK: every file the image's data lives in (a monolithic image is its own only extent).</param>
/// <param name="Encrypted">The content is encrypted (reading it needs a secret Kraut does not have).</param>
public sealed record QemuImageInfo(
    string Format,
    long VirtualSizeBytes,
    long ActualSizeBytes,
    string? BackingFilename,
    string? FullBackingFilename,
    string? BackingFormat,
    string? DataFile,
    IReadOnlyList<string>? ExtentFilenames = null,
    bool Encrypted = false)
{
    public bool HasBacking => BackingFilename is not null;

    public bool HasDataFile => DataFile is not null;
}

/// <summary>What qemu-img check found: corruptions make an image unsafe to use, leaks only waste space.</summary>
/// <param name="Supported">False when the format has no consistency check.</param>
public sealed record QemuImageCheck(bool Supported, long Corruptions, long Leaks, long CheckErrors)
{
    public bool IsConsistent => Corruptions == 0 && CheckErrors == 0;
}
