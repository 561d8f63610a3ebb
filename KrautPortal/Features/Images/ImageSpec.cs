namespace KrautPortal.Features.Images;

public enum ImageFormat { Qcow2, Raw, Iso }
public enum Firmware { Bios, Uefi }
public enum ImagePhase { AwaitingContent, Uploading, Checking, Converting, Ready, Failed }

/// <summary>What an image is for: the wizard uses these to offer only machine types that fit.</summary>
public sealed record ImageSpec
{
    public string Architecture { get; init; } = "x86_64";
    public string? OsName { get; init; }
    public int MinMemoryMiB { get; init; } = 128;
    public int MinDiskGiB { get; init; }
    public Firmware Firmware { get; init; } = Firmware.Bios;
    public string? Description { get; init; }
}

/// <summary>What Kraut found in the image content it stores.</summary>
public sealed record ImageStatus
{
    public ImagePhase Phase { get; init; } = ImagePhase.AwaitingContent;
    public ImageFormat? Format { get; init; }
    public long? VirtualSizeBytes { get; init; }
    public long? ActualSizeBytes { get; init; }
    public string? Sha256 { get; init; }
    public string? Message { get; init; }
}
