namespace KrautPortal.Hypervisor;

/// <summary>What qemu-img info reports about one image file (not its backing chain).</summary>
/// <param name="BackingFilename">As written in the image header: may be relative to the image.</param>
/// <param name="DataFile">qcow2 external data file, if any: such an image reads another file's bytes.</param>
public sealed record QemuImageInfo(
    string Format,
    long VirtualSizeBytes,
    long ActualSizeBytes,
    string? BackingFilename,
    string? FullBackingFilename,
    string? BackingFormat,
    string? DataFile)
{
    public bool HasBacking => BackingFilename is not null;

    public bool HasDataFile => DataFile is not null;
}
