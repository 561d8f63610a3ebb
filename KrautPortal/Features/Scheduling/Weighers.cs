namespace KrautPortal.Features.Scheduling;

/// <summary>A weigher: a part of an accepted host's score; the highest total wins.</summary>
public sealed record HostWeigher(string Name, string Description, Func<PlacementRequest, HostLoad, OvercommitOptions, SchedulingOptions, double> Weigh);

public static class Weighers
{
    /// <summary>
    /// Room left after placing the VM, as the mean of free memory and free vCPUs over their ceilings (0 to 1): spread
    /// takes it as is (most room wins), pack takes one less it (least room that still fits wins).
    /// </summary>
    public static readonly HostWeigher Room = new("room",
        "spread: most free memory and vCPUs left after placing (fractions of the ceilings); pack: least left.",
        (vm, load, o, s) =>
        {
            var memoryCeiling = o.MemoryCeiling(load.Host.MemoryBytes);
            var cpuCeiling = o.CpuCeiling(load.Host.Cpus);
            var freeMemory = memoryCeiling <= 0 ? 0 : (memoryCeiling - load.MemoryBytes - vm.MemoryBytes) / memoryCeiling;
            var freeCpu = cpuCeiling <= 0 ? 0 : (cpuCeiling - load.Vcpus - vm.Vcpus) / cpuCeiling;
            var room = Math.Clamp((freeMemory + freeCpu) / 2, 0, 1);
            return s.Strategy == PlacementStrategy.Pack ? 1 - room : room;
        });

    public static readonly HostWeigher SoftAffinity = new("soft-affinity",
        "Each soft affinity rule adds the weight where a VM matching it runs already.",
        (vm, load, _, s) => vm.Affinity.Count(r => !r.Hard && load.Vms.Any(v => r.Matches(v.Metadata))) * s.SoftAffinityWeight);

    public static readonly HostWeigher SoftAntiAffinity = new("soft-anti-affinity",
        "Each soft anti-affinity rule takes the weight off for every VM matching it already there.",
        (vm, load, _, s) => -vm.AntiAffinity.Where(r => !r.Hard).Sum(r => load.Vms.Count(v => r.Matches(v.Metadata))) * s.SoftAffinityWeight);

    public static readonly HostWeigher Emulation = new("emulation",
        "A host that would run the VM emulated (slow) scores lower than one that runs it natively.",
        (vm, load, _, s) => load.Host.Emulated.Contains(vm.Architecture) ? -s.EmulationPenalty : 0);

    public static readonly IReadOnlyList<HostWeigher> All = [Room, SoftAffinity, SoftAntiAffinity, Emulation];
}
