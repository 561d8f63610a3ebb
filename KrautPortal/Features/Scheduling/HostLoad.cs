namespace KrautPortal.Features.Scheduling;

/// <summary>What is already promised on one host (and on the disk pool it shares), summed once per decision.</summary>
public sealed record HostLoad(HostFacts Host, IReadOnlyList<PlacedVm> Vms, long Vcpus, long MemoryBytes, long PoolDiskBytes)
{
    /// <summary>Each host's load: VMs by host, disk by the pool the host's disks live on.</summary>
    public static IReadOnlyList<HostLoad> Of(IReadOnlyList<HostFacts> hosts, IReadOnlyList<PlacedVm> placed, Guid? except)
    {
        var byHost = new Dictionary<string, List<PlacedVm>>(StringComparer.Ordinal);
        foreach (var vm in placed)
        {
            if (vm.Id == except) continue;
            if (!byHost.TryGetValue(vm.Host, out var list)) byHost[vm.Host] = list = [];
            list.Add(vm);
        }
        var poolOf = hosts.ToDictionary(h => h.Uri, h => h.DiskPool, StringComparer.Ordinal);
        var poolDisk = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (host, vms) in byHost)
        {
            // A VM on a host no longer listed keeps its disk where it was: its own pool, named by its host.
            var pool = poolOf.GetValueOrDefault(host, host);
            poolDisk[pool] = poolDisk.GetValueOrDefault(pool) + vms.Sum(v => v.DiskBytes);
        }
        return hosts.Select(h =>
        {
            var vms = byHost.GetValueOrDefault(h.Uri) ?? [];
            long vcpus = 0, memory = 0;
            foreach (var vm in vms)
            {
                vcpus += vm.Vcpus;
                memory += vm.MemoryBytes;
            }
            return new HostLoad(h, vms, vcpus, memory, poolDisk.GetValueOrDefault(h.DiskPool));
        }).ToList();
    }
}
