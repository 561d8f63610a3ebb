using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Scheduling;

/// <summary>
/// What the VMs promise each host, summed in the database: one reading for the scheduler and for the capacity views, so
/// what the dashboard calls "allocated" is what placement counts. A VM holds the host it runs on (status), else the one it
/// was placed on (spec), deleting or not (until its record is gone); while it moves (spec.host, the target, differs from
/// status.host) it holds both, so the target is not filled by others meanwhile and the source still runs or holds it.
/// </summary>
public static class HostAllocations
{
    /// <summary>One group's promise on one host, with the machine type it was sized by (dedicated placement needs it).</summary>
    public sealed record Allocation(HostUsage Usage, Guid MachineTypeId, MachineTypeSpec? Type);

    /// <summary>How VMs are grouped (status host first, for what reads only where VMs run) and what is summed (public for the dashboard benchmark, which times this query).</summary>
    public static readonly JsonField[] Keys = [new("$.host", InStatus: true), new("$.host"), new("$.machineTypeId"), new("$.imageId")];
    public static readonly JsonField[] Sizes = [new("$.vcpus"), new("$.memoryMiB"), new("$.diskGiB")];

    /// <summary>
    /// Every VM with a host, <paramref name="except"/> left out; a size left 0 takes its machine type's default (vCPUs,
    /// memory) or its image's size (disk), filled in per group here.
    /// </summary>
    public static async Task<IReadOnlyList<Allocation>> SumAsync(KindReader reader, IReadOnlyDictionary<Guid, MachineTypeSpec> types,
        IReadOnlyDictionary<Guid, long> imageSizes, Guid? except, CancellationToken ct)
    {
        var groups = await reader.GroupAsync(Kinds.Vms, Keys, Sizes, owners: null, ct, except: except);
        var allocations = new List<Allocation>(groups.Count);
        foreach (var g in groups)
        {
            if ((g.Keys[0] ?? g.Keys[1]) is not { } host) continue;
            var target = g.Keys[0] is not null && g.Keys[1] is { } wanted && wanted != host ? wanted : null;
            var typeId = Guid.TryParse(g.Keys[2], out var t) ? t : Guid.Empty;
            var type = types.GetValueOrDefault(typeId);
            var image = Guid.TryParse(g.Keys[3], out var i) ? imageSizes.GetValueOrDefault(i) : 0;
            var usage = new HostUsage(host, (int)g.Count,
                g.Sums[0] + g.Zeros[0] * (type?.Vcpus.Default ?? 0),
                (g.Sums[1] + g.Zeros[1] * (long)(type?.MemoryMiB.Default ?? 0)) << 20,
                (g.Sums[2] << 30) + g.Zeros[2] * image);
            allocations.Add(new Allocation(usage, typeId, type));
            if (target is not null) allocations.Add(new Allocation(usage with { Host = target }, typeId, type));
        }
        return allocations;
    }
}
