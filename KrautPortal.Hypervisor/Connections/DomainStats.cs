namespace KrautPortal.Hypervisor;

/// <summary>
/// One domain's counters from libvirt's bulk statistics call (virConnectGetAllDomainStats): cumulative counters as
/// libvirt reports them (rates are the reader's business). Fields libvirt did not report are null (a stopped domain
/// has no balloon figures; the test driver reports few).
/// </summary>
/// <param name="CpuTimeNanoseconds">cpu.time: guest CPU time used since the domain started.</param>
/// <param name="MemoryCurrentKiB">balloon.current: memory the guest has now.</param>
/// <param name="MemoryMaximumKiB">balloon.maximum.</param>
/// <param name="MemoryRssKiB">balloon.rss: what the QEMU process really holds on the host.</param>
/// <param name="MemoryUsableKiB">balloon.usable: what the guest could use without swapping (guest's view).</param>
/// <param name="MemoryAvailableKiB">balloon.available: memory the guest's kernel sees.</param>
/// <param name="MemoryUnusedKiB">balloon.unused: memory the guest leaves unused.</param>
public sealed record DomainStats(
    Guid Uuid,
    string Name,
    DomainState State,
    ulong? CpuTimeNanoseconds,
    int? Vcpus,
    ulong? MemoryCurrentKiB,
    ulong? MemoryMaximumKiB,
    ulong? MemoryRssKiB,
    ulong? MemoryUsableKiB,
    ulong? MemoryAvailableKiB,
    ulong? MemoryUnusedKiB,
    IReadOnlyList<BlockStats> Blocks,
    IReadOnlyList<InterfaceStats> Interfaces);

/// <summary>block.N.*: one disk's counters and sizes.</summary>
public sealed record BlockStats(
    string Device,
    string? Path,
    ulong ReadBytes,
    ulong WriteBytes,
    ulong ReadRequests,
    ulong WriteRequests,
    ulong? AllocationBytes,
    ulong? CapacityBytes,
    ulong? PhysicalBytes);

/// <summary>net.N.*: one interface's counters, named by its host-side device (vnetN, tapN).</summary>
public sealed record InterfaceStats(
    string Device,
    ulong ReceiveBytes,
    ulong TransmitBytes,
    ulong ReceivePackets,
    ulong TransmitPackets,
    ulong ReceiveErrors,
    ulong TransmitErrors,
    ulong ReceiveDrops,
    ulong TransmitDrops);
