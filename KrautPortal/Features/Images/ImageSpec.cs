namespace KrautPortal.Features.Images;

/// <summary>How Kraut stores a ready image: converted disks in the storage format, installer ISOs as they came.</summary>
public enum ImageFormat { Qcow2, Raw, Iso }

/// <summary>What a user brought, as detected from its content (never from its file name).</summary>
public enum SourceFormat { Qcow2, Raw, Vmdk, Vhdx, Vdi, Iso }

public enum Firmware { Bios, Uefi }

/// <summary>
/// AwaitingContent → Uploading/Downloading → Checking → Converting → Ready, or Failed with a reason. An image made from a
/// VM starts at Copying (its disk flattened into the image's incoming content), then goes on at Checking like an upload.
/// </summary>
public enum ImagePhase { AwaitingContent, Uploading, Downloading, Checking, Converting, Ready, Failed, Copying }

/// <summary>The VM (and the internal snapshot of its disk, when one was named) an image was made from.</summary>
public sealed record ImageVmSource(Guid VmId, string VmName, Guid? SnapshotId);

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

/// <summary>What Kraut knows about the image's content, and how far getting it ready has come.</summary>
public sealed record ImageStatus
{
    public ImagePhase Phase { get; init; } = ImagePhase.AwaitingContent;

    /// <summary>The stored format once ready.</summary>
    public ImageFormat? Format { get; init; }

    public SourceFormat? SourceFormat { get; init; }
    public long? VirtualSizeBytes { get; init; }
    public long? ActualSizeBytes { get; init; }

    /// <summary>SHA-256 of the content as uploaded or downloaded (before conversion).</summary>
    public string? Sha256 { get; init; }

    /// <summary>While uploading or downloading: bytes so far, and of how many when known.</summary>
    public long? BytesReceived { get; init; }
    public long? BytesExpected { get; init; }

    /// <summary>0–100 for the current phase, when it can tell.</summary>
    public double? Progress { get; init; }

    public string? SourceUrl { get; init; }

    /// <summary>Made from a VM's disk (<c>POST /api/v1/vms/{id}/image</c>): which one; the copy is redone from it after a restart.</summary>
    public ImageVmSource? FromVm { get; init; }
    public DateTime? PhaseStartedAt { get; init; }

    /// <summary>Why it failed, or what is going on, in words.</summary>
    public string? Message { get; init; }

    /// <summary>Once ready: what makes it doubtful as a boot disk (too small, no boot sector), in words. Empty when nothing is.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
