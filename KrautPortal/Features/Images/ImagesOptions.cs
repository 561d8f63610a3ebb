namespace KrautPortal.Features.Images;

/// <summary>The <c>Images</c> configuration section.</summary>
public sealed class ImagesOptions
{
    /// <summary>Largest upload or download accepted, in bytes (file size).</summary>
    public long MaxUploadBytes { get; set; } = 64L << 30;

    /// <summary>Largest virtual disk size an image may declare (a small file can claim an absurd disk).</summary>
    public long MaxVirtualSizeBytes { get; set; } = 2L << 40;

    /// <summary>Free space kept on the image storage's file system; an upload that would eat into it is refused.</summary>
    public long ReserveFreeBytes { get; set; } = 1L << 30;

    /// <summary>The format disks are converted to: qcow2 or raw.</summary>
    public ImageFormat StorageFormat { get; set; } = ImageFormat.Qcow2;

    /// <summary>Limits on <c>qemu-img info</c> over untrusted content: wall time and address space.</summary>
    public int InfoTimeoutSeconds { get; set; } = 15;
    public long InfoMemoryBytes { get; set; } = 512L << 20;

    /// <summary>Address space for <c>qemu-img convert</c> (it needs about 200 MiB; the rest is headroom).</summary>
    public long ConvertMemoryBytes { get; set; } = 1L << 30;

    /// <summary>Conversion progress is stored at most this often (each store is a database write and a page refresh).</summary>
    public int ProgressWriteMilliseconds { get; set; } = 250;

    /// <summary>A conversion whose progress stands still this long is stopped and the image refused.</summary>
    public int ConvertStallSeconds { get; set; } = 600;

    /// <summary>An interrupted upload can be resumed this long; after that its partial content is removed.</summary>
    public int IncompleteUploadHours { get; set; } = 24;

    /// <summary>Hosts or CIDRs that URL import may reach although they are private or local (default: none).</summary>
    public List<string> ImportAllowList { get; set; } = [];

    /// <summary>A URL import that receives nothing (no connection, no headers, no bytes) for this long fails.</summary>
    public int ImportStallSeconds { get; set; } = 60;
}
