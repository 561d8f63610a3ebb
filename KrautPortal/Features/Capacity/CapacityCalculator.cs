using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Scheduling;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Capacity;

/// <summary>VMs placed on one host (one or many alike, summed): how many, their sizes, and whether they hold their host alone.</summary>
public sealed record PlacedVms(string Host, long Count, long Vcpus, long MemoryBytes, long DiskBytes, bool Dedicated);

/// <summary>A host as capacity sees it: what it last reported, and why it cannot run an architecture (null: it can).</summary>
public sealed record HostInput(string Uri, string DisplayName, NodeFacts? Facts, string? Error, Func<string, string?> WhyCannotRun);

/// <summary>A machine type a user could pick: its defaults are what "one more" means.</summary>
public sealed record MachineTypeInput(Guid Id, string Name, string Architecture, HostPlacement Placement, int Vcpus, long MemoryBytes);

/// <summary>The filesystem holding Kraut's data directory (disks and images): one pool for every host.</summary>
public sealed record DiskPool(long TotalBytes, long AvailableBytes);

/// <summary>Turns hosts, placed VMs and machine types into capacity figures; no I/O, so tests and the benchmark call it directly.</summary>
public static class CapacityCalculator
{
    public static InstallationCapacity Compute(DateTime at, IReadOnlyList<HostInput> hosts, IReadOnlyList<PlacedVms> vms,
        long imageBytes, DiskPool disk, IReadOnlyList<MachineTypeInput> machineTypes, HostOvercommits overcommit)
    {
        var byHost = vms.ToLookup(v => v.Host);
        var diskUsed = (double)(disk.TotalBytes - disk.AvailableBytes);
        // The pool is shared: in total it takes the installation's disk ratio; each host's row shows the host's own.
        var diskCeiling = overcommit.Everywhere.DiskCeiling(disk.TotalBytes);
        var perHost = hosts.Select(h => ForHost(h, byHost[h.Uri].ToList(), disk, diskUsed, overcommit.For(h.Uri))).ToList();

        var total = new
        {
            Vcpus = Sum(perHost.Select(h => h.Vcpus)),
            Memory = Sum(perHost.Select(h => h.MemoryBytes)),
            // Disks of VMs on hosts Kraut no longer lists still take room: every VM counts here, plus the images.
            Disk = new CapacityAmount(disk.TotalBytes, vms.Sum(v => (double)v.DiskBytes) + imageBytes, diskCeiling, diskUsed),
        };
        var fits = machineTypes.Select(mt => Fit(mt, hosts, perHost, byHost)).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        return new InstallationCapacity(at, perHost, total.Vcpus, total.Memory, total.Disk, fits);
    }

    private static HostCapacity ForHost(HostInput host, List<PlacedVms> vms, DiskPool disk, double diskUsed, OvercommitOptions options)
    {
        var facts = host.Facts;
        double cpus = facts?.Cpus ?? 0;
        double memory = (facts?.MemoryKiB ?? 0) * 1024.0;
        return new HostCapacity(host.Uri, host.DisplayName, host.Error is null && facts is not null, host.Error, (int)vms.Sum(v => v.Count),
            new CapacityAmount(cpus, vms.Sum(v => (double)v.Vcpus), options.CpuCeiling(cpus), facts?.CpuBusyFraction * cpus),
            new CapacityAmount(memory, vms.Sum(v => (double)v.MemoryBytes), options.MemoryCeiling(memory),
                facts?.FreeMemoryKiB is { } free ? (facts.MemoryKiB - Math.Min(free, facts.MemoryKiB)) * 1024.0 : null),
            new CapacityAmount(disk.TotalBytes, vms.Sum(v => (double)v.DiskBytes), options.DiskCeiling(disk.TotalBytes), diskUsed));
    }

    private static CapacityAmount Sum(IEnumerable<CapacityAmount> amounts)
    {
        var list = amounts.ToList();
        var used = list.Where(a => a.Used is not null).Select(a => a.Used!.Value).ToList();
        return new CapacityAmount(list.Sum(a => a.Physical), list.Sum(a => a.Allocated), list.Sum(a => a.Ceiling),
            used.Count == 0 ? null : used.Sum());
    }

    /// <summary>How many more of <paramref name="mt"/> fit, host by host as placement would put them, and what stops more.</summary>
    private static MachineTypeFit Fit(MachineTypeInput mt, IReadOnlyList<HostInput> hosts, List<HostCapacity> perHost, ILookup<string, PlacedVms> byHost)
    {
        var fits = 0;
        var limits = new List<string>();
        for (var i = 0; i < hosts.Count; i++)
        {
            var (count, limit) = FitOnHost(mt, hosts[i], perHost[i], byHost[hosts[i].Uri].ToList());
            fits += count;
            limits.Add(limit);
        }
        var limitedBy = limits.Count == 0 ? "no hosts" : string.Join("; ", limits.Distinct());
        return new MachineTypeFit(mt.Id, mt.Name, fits, limitedBy);
    }

    private static (int Count, string Limit) FitOnHost(MachineTypeInput mt, HostInput host, HostCapacity capacity, List<PlacedVms> vms)
    {
        if (host.Facts is null) return (0, $"{host.Uri} unreachable");
        if (host.WhyCannotRun(mt.Architecture) is not null) return (0, $"no {mt.Architecture} emulator on {host.Uri}");
        if (vms.Any(v => v.Dedicated)) return (0, $"a dedicated VM on {host.Uri}");
        if (mt.Placement == HostPlacement.Dedicated && vms.Sum(v => v.Count) > 0) return (0, $"VMs on {host.Uri} (dedicated needs an empty host)");

        var byCpu = Headroom(capacity.Vcpus, mt.Vcpus);
        var byMemory = Headroom(capacity.MemoryBytes, mt.MemoryBytes);
        var count = Math.Min(byCpu, byMemory);
        var limit = byMemory <= byCpu ? $"memory on {host.Uri}" : $"vCPUs on {host.Uri}";
        if (mt.Placement == HostPlacement.Dedicated && count >= 1) return (1, $"dedicated: one per empty host ({host.Uri})");
        return (count, limit);
    }

    private static int Headroom(CapacityAmount amount, double each) =>
        each <= 0 ? int.MaxValue : (int)Math.Clamp(Math.Floor((amount.Ceiling - amount.Allocated) / each), 0, int.MaxValue);
}
