namespace KrautPortal.Features.Scheduling;

/// <summary>
/// How far hosts may be promised beyond what they have (the <c>Capacity</c> configuration section). The scheduler's filters
/// and the capacity figures use the same ceilings, so "fits N more" and placement never disagree.
/// </summary>
public class OvercommitOptions
{
    /// <summary>vCPUs per physical CPU: guests rarely keep every vCPU busy.</summary>
    public double CpuOvercommit { get; set; } = 4.0;

    /// <summary>Memory promised per byte present: 1.0, because a guest's memory cannot be taken back without swapping.</summary>
    public double MemoryOvercommit { get; set; } = 1.0;

    /// <summary>Disk promised per byte of the filesystem holding VM disks (qcow2 overlays grow on write).</summary>
    public double DiskOvercommit { get; set; } = 1.0;

    /// <summary>Memory kept for the host itself (kernel, libvirtd, QEMU's own overhead per guest, Kraut), off the memory ceiling.</summary>
    public long HostMemoryReserveMiB { get; set; } = 1024;

    /// <summary>The most vCPUs a host with <paramref name="cpus"/> CPUs may be promised.</summary>
    public double CpuCeiling(double cpus) => cpus * CpuOvercommit;

    /// <summary>The most memory a host with <paramref name="memoryBytes"/> may be promised: overcommitted, less the host's reserve.</summary>
    public double MemoryCeiling(double memoryBytes) => Math.Max(0, memoryBytes * MemoryOvercommit - HostMemoryReserveMiB * 1024.0 * 1024.0);

    public double DiskCeiling(double diskBytes) => diskBytes * DiskOvercommit;
}
