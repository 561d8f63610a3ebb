namespace KrautPortal.Features.Scheduling;

/// <summary>
/// What is already promised on one host (and on the disk pool it shares), summed once per decision. <paramref name="Vms"/>
/// holds only the VMs the rules look at (<see cref="PlacedState"/>); <paramref name="VmCount"/> counts every VM there.
/// </summary>
public sealed record HostLoad(HostFacts Host, IReadOnlyList<PlacedVm> Vms, int VmCount, long Vcpus, long MemoryBytes, long PoolDiskBytes)
{
    /// <summary>Each host's load: sums by host, disk by the pool the host's disks live on; the VM <paramref name="except"/> is left out of the VMs named.</summary>
    public static IReadOnlyList<HostLoad> Of(IReadOnlyList<HostFacts> hosts, PlacedState placed, Guid? except)
    {
        var byHost = new Dictionary<string, List<PlacedVm>>(StringComparer.Ordinal);
        foreach (var vm in placed.Vms)
        {
            if (vm.Id == except) continue;
            if (!byHost.TryGetValue(vm.Host, out var list)) byHost[vm.Host] = list = [];
            list.Add(vm);
        }
        var usage = new Dictionary<string, HostUsage>(StringComparer.Ordinal);
        foreach (var u in placed.Usage) usage[u.Host] = usage.TryGetValue(u.Host, out var sum) ? sum.Plus(u) : u;
        var poolOf = hosts.ToDictionary(h => h.Uri, h => h.DiskPool, StringComparer.Ordinal);
        var poolDisk = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (host, u) in usage)
        {
            // A VM on a host no longer listed keeps its disk where it was: its own pool, named by its host.
            var pool = poolOf.GetValueOrDefault(host, host);
            poolDisk[pool] = poolDisk.GetValueOrDefault(pool) + u.DiskBytes;
        }
        return hosts.Select(h =>
        {
            var u = usage.GetValueOrDefault(h.Uri) ?? new HostUsage(h.Uri, 0, 0, 0, 0);
            return new HostLoad(h, byHost.GetValueOrDefault(h.Uri) ?? [], u.Vms, u.Vcpus, u.MemoryBytes, poolDisk.GetValueOrDefault(h.DiskPool));
        }).ToList();
    }
}
