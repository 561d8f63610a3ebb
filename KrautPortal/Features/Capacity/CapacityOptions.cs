namespace KrautPortal.Features.Capacity;

/// <summary>The <c>Capacity</c> configuration section: how far hosts may be promised beyond what they have.</summary>
public sealed class CapacityOptions
{
    /// <summary>vCPUs per physical CPU: guests rarely keep every vCPU busy.</summary>
    public double CpuOvercommit { get; set; } = 4.0;

    /// <summary>Memory promised per byte present: 1.0, because a guest's memory cannot be taken back without swapping.</summary>
    public double MemoryOvercommit { get; set; } = 1.0;

    /// <summary>Disk promised per byte of the data directory's filesystem (qcow2 overlays grow on write).</summary>
    public double DiskOvercommit { get; set; } = 1.0;

    /// <summary>Memory kept for the host itself (kernel, libvirtd, QEMU's own overhead per guest, Kraut), off the memory ceiling.</summary>
    public long HostMemoryReserveMiB { get; set; } = 1024;

    /// <summary>How long a host's facts are reused before libvirt is asked again.</summary>
    public double NodeFactsMaxAgeSeconds { get; set; } = 10;
}
