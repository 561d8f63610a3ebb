namespace KrautPortal.Features.Scheduling;

/// <summary>What every VM on one host adds up to: how many, and the vCPUs, memory and disk they were promised.</summary>
public sealed record HostUsage(string Host, int Vms, long Vcpus, long MemoryBytes, long DiskBytes)
{
    public HostUsage Plus(HostUsage other) =>
        this with { Vms = Vms + other.Vms, Vcpus = Vcpus + other.Vcpus, MemoryBytes = MemoryBytes + other.MemoryBytes, DiskBytes = DiskBytes + other.DiskBytes };
}

/// <summary>
/// What is placed, as a decision needs it: <paramref name="Usage"/> sums every VM per host (the VM being placed left out),
/// <paramref name="Vms"/> holds at least every VM the rules can look at: those a rule's selector of the VM being placed
/// matches, those with a hard anti-affinity rule of their own, and dedicated ones. Reading only those keeps a decision's
/// cost from growing with every VM stored; the sums come from the database.
/// </summary>
public sealed record PlacedState(IReadOnlyList<HostUsage> Usage, IReadOnlyList<PlacedVm> Vms)
{
    /// <summary>Every VM at hand (tests, small installations): the sums made here, <paramref name="except"/> left out.</summary>
    public static PlacedState FromVms(IReadOnlyList<PlacedVm> vms, Guid? except)
    {
        var others = vms.Where(v => v.Id != except).ToList();
        var usage = others.GroupBy(v => v.Host, StringComparer.Ordinal)
            .Select(g => new HostUsage(g.Key, g.Count(), g.Sum(v => (long)v.Vcpus), g.Sum(v => v.MemoryBytes), g.Sum(v => v.DiskBytes)))
            .ToList();
        return new PlacedState(usage, others);
    }
}
