using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Usage;

/// <summary>Turns one domain's statistics (and its previous counters) into the row the sampler stores.</summary>
public static class UsageSample
{
    public static UsageSampleRow Row(DateTime at, string hostUri, Record<VmSpec> vm, DomainStats domain,
        UsageCounters current, UsageCounters? previous, TimeSpan maxGap)
    {
        var vcpus = vm.Spec.Vcpus > 0 ? vm.Spec.Vcpus : domain.Vcpus ?? 1;
        var memoryMiB = vm.Spec.MemoryMiB > 0 ? vm.Spec.MemoryMiB : (int)((domain.MemoryMaximumKiB ?? 0) / 1024);
        var rates = UsageRates.Between(previous, current, vcpus, maxGap);
        var capacities = domain.Blocks.Where(b => b.CapacityBytes is not null).Select(b => (long)b.CapacityBytes!.Value).ToList();
        return new UsageSampleRow
        {
            At = at,
            VmId = vm.Id,
            Owner = vm.Owner,
            HostUri = hostUri,
            Seconds = rates?.Seconds ?? 0,
            Vcpus = vcpus,
            MemoryMiB = memoryMiB,
            DiskCapacityBytes = capacities.Count == 0 ? null : capacities.Sum(),
            CpuTimeNs = Signed(current.CpuTimeNs),
            MemoryCurrentKiB = Signed(domain.MemoryCurrentKiB),
            MemoryRssKiB = Signed(domain.MemoryRssKiB),
            MemoryUsableKiB = Signed(domain.MemoryUsableKiB),
            MemoryAvailableKiB = Signed(domain.MemoryAvailableKiB),
            MemoryUnusedKiB = Signed(domain.MemoryUnusedKiB),
            DiskReadBytes = (long)current.DiskReadBytes,
            DiskWriteBytes = (long)current.DiskWriteBytes,
            DiskReadRequests = (long)current.DiskReadRequests,
            DiskWriteRequests = (long)current.DiskWriteRequests,
            NetRxBytes = (long)current.NetRxBytes,
            NetTxBytes = (long)current.NetTxBytes,
            NetRxPackets = (long)current.NetRxPackets,
            NetTxPackets = (long)current.NetTxPackets,
            CpuPercent = rates?.CpuPercent,
            MemoryUsedBytes = MemoryUsedBytes(domain),
            DiskReadBytesPerSecond = rates?.DiskReadBytesPerSecond,
            DiskWriteBytesPerSecond = rates?.DiskWriteBytesPerSecond,
            NetRxBytesPerSecond = rates?.NetRxBytesPerSecond,
            NetTxBytesPerSecond = rates?.NetTxBytesPerSecond,
        };
    }

    /// <summary>
    /// What the guest uses: its kernel's view (available minus usable) when the balloon driver reports it, else what
    /// the QEMU process holds on the host (rss), else the balloon's current size.
    /// </summary>
    public static long? MemoryUsedBytes(DomainStats d)
    {
        if (d.MemoryAvailableKiB is { } available && d.MemoryUsableKiB is { } usable && available >= usable)
            return (long)(available - usable) * 1024;
        if (d.MemoryRssKiB is { } rss) return (long)rss * 1024;
        return d.MemoryCurrentKiB is { } current ? (long)current * 1024 : null;
    }

    private static long? Signed(ulong? value) => value is { } v ? (long)Math.Min(v, long.MaxValue) : null;
}
