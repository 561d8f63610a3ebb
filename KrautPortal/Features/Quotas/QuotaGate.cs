using KrautPortal.Features.Images;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Quotas;

/// <summary>
/// Holds creates and growing updates of VMs, networks, routers, images, backups and snapshots to the owner's quota, inside the write's
/// transaction (<see cref="IWriteGate"/>). Not held: Kraut's own writes (system objects, reconcilers), shared objects,
/// and administrators unless <c>Quotas:AdminsBound</c>.
/// </summary>
public sealed class QuotaGate(QuotaService quotas, QuotaMeter meter, ResourceStore store, IOptions<QuotaOptions> options) : IWriteGate
{
    private static readonly HashSet<string> Gated = [Kinds.Vms.Name, Kinds.Networks.Name, Kinds.Routers.Name, Kinds.Images.Name, Kinds.Backups.Name,
        Kinds.Snapshots.Name];

    public bool Guards(string kind) => Gated.Contains(kind);

    public async Task CheckAsync(GatedWrite write, CancellationToken ct)
    {
        var actor = write.Actor;
        if (write.IsSystem || actor.IsKraut || write.Owner == Actor.SharedOwner) return;
        if (actor.IsAdmin && !options.Value.AdminsBound) return;
        // What is counted below must stay true until this write commits: concurrent writers for the same owner wait here
        // (PostgreSQL; SQLite's writers take turns anyway).
        await store.LockOwnerAsync(write.Owner, ct);

        var needs = await NeedsAsync(write, ct);
        // An image's, backup's or snapshot's size is known only once it is made: a new one is refused only when the owner has
        // no room left (a scheduled backup too: its run acts as the owner).
        var sizedLater = write.Previous is null ? SizedLater(write.Kind) : null;
        if (sizedLater is null && needs.All(n => n.Amount <= 0)) return;

        var subject = await quotas.SubjectOfAsync(write.Owner, actor, ct);
        var limits = await quotas.EffectiveAsync(subject, ct);
        var relevant = sizedLater is { } later ? [(later, 0L)] : needs.Where(n => n.Amount > 0).ToList();
        if (relevant.All(n => n.Measure.Limit(limits) is null)) return;

        var used = await meter.OfKindAsync(write.Kind.Name, write.Owner, ct);
        var what = write.Previous is null ? $"this {write.Kind.Singular}" : "this change";
        foreach (var (measure, amount) in relevant)
        {
            if (measure.Limit(limits) is not { } limit) continue;
            var inUse = measure.Used(used);
            if (inUse + amount > limit || (amount == 0 && inUse >= limit))
                throw new QuotaExceededException(measure, write.Owner, inUse, limit, amount, what);
        }
    }

    private static QuotaMeasure? SizedLater(KindInfo kind) =>
        kind == Kinds.Images ? QuotaMeasure.ImageBytes : kind == Kinds.Backups || kind == Kinds.Snapshots ? QuotaMeasure.BackupBytes : null;

    /// <summary>What the write adds to each measure (an update: the growth over the previous spec).</summary>
    private async Task<IReadOnlyList<(QuotaMeasure Measure, long Amount)>> NeedsAsync(GatedWrite write, CancellationToken ct)
    {
        var create = write.Previous is null;
        switch (write.Spec)
        {
            case VmSpec vm:
                var before = write.Previous as VmSpec;
                return
                [
                    (QuotaMeasure.Vms, create ? 1 : 0),
                    (QuotaMeasure.Vcpus, vm.Vcpus - (before?.Vcpus ?? 0)),
                    (QuotaMeasure.MemoryBytes, ((long)vm.MemoryMiB << 20) - ((long)(before?.MemoryMiB ?? 0) << 20)),
                    // A VM's disk is fixed at creation.
                    (QuotaMeasure.DiskBytes, create ? await DiskBytesAsync(vm, ct) : 0),
                ];
            case KrautPortal.Features.Networks.NetworkSpec:
                return [(QuotaMeasure.Networks, create ? 1 : 0)];
            case KrautPortal.Features.Routers.RouterSpec:
                return [(QuotaMeasure.Routers, create ? 1 : 0)];
            default:
                return [];
        }
    }

    /// <summary>The disk a new VM gets: its own size, or the image's virtual size when it takes the image's.</summary>
    private async Task<long> DiskBytesAsync(VmSpec vm, CancellationToken ct)
    {
        if (vm.DiskGiB > 0) return (long)vm.DiskGiB << 30;
        return await store.FindAsync(Kinds.Images.Name, vm.ImageId, Actor.System, ct) is { } row
            ? Resource<ImageSpec, ImageStatus>.FromRow(row).Status.VirtualSizeBytes ?? 0 : 0;
    }
}
