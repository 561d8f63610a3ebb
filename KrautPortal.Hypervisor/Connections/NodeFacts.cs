namespace KrautPortal.Hypervisor;

/// <summary>
/// What a host has (virNodeGetInfo, virNodeGetMemoryStats, virNodeGetCPUStats): the physical side of capacity.
/// </summary>
/// <param name="Cpus">Logical CPUs the host runs guests on.</param>
/// <param name="MemoryKiB">Physical memory.</param>
/// <param name="FreeMemoryKiB">Free memory as the host's kernel reports it (MemFree + buffers + cache when reported).</param>
/// <param name="CpuBusyFraction">Busy share of all CPUs since the previous call on this connection, when known (0..1).</param>
public sealed record NodeFacts(string Model, int Cpus, ulong MemoryKiB, ulong? FreeMemoryKiB, double? CpuBusyFraction);
