using KrautPortal.Features.Store;

namespace KrautPortal.Features.Quotas;

/// <summary>
/// What an owner uses, as quotas count it, each kind in one query over the store: VMs (their vCPUs, memory and disk;
/// a disk "as large as the image" counts the image's virtual size), networks, routers, and stored image bytes.
/// A router's VM is a system object, Kraut's, and not counted; the router itself counts for its owner. Backups and
/// snapshots count the bytes they take, together.
/// </summary>
public sealed class QuotaMeter(ResourceStore store)
{
    private static readonly JsonFigure[] VmFigures =
    [
        new("$.vcpus"),
        new("$.memoryMiB", 1L << 20),
        new("$.diskGiB", 1L << 30, Fallback: new JsonFallback("$.imageId", Kinds.Images.Name, "$.virtualSizeBytes")),
    ];

    private static readonly JsonFigure[] ImageFigures = [new("$.actualSizeBytes", InStatus: true)];

    /// <summary>Backups and snapshots both record the bytes they take as status.sizeBytes once they are complete.</summary>
    private static readonly JsonFigure[] StoredSizeFigures = [new("$.sizeBytes", InStatus: true)];

    /// <summary>The figures of one kind only: what a write of that kind can change.</summary>
    public async Task<QuotaUse> OfKindAsync(string kind, string owner, CancellationToken ct)
    {
        if (kind == Kinds.Vms.Name)
        {
            var t = await store.TotalsAsync(kind, owner, VmFigures, ct);
            return new QuotaUse { Vms = t.Count, Vcpus = t.Sums[0], MemoryBytes = t.Sums[1], DiskBytes = t.Sums[2] };
        }
        if (kind == Kinds.Images.Name) return new QuotaUse { ImageBytes = (await store.TotalsAsync(kind, owner, ImageFigures, ct)).Sums[0] };
        if (kind == Kinds.Networks.Name) return new QuotaUse { Networks = (await store.TotalsAsync(kind, owner, [], ct)).Count };
        if (kind == Kinds.Routers.Name) return new QuotaUse { Routers = (await store.TotalsAsync(kind, owner, [], ct)).Count };
        // One measure over both kinds: a user who keeps snapshots instead of backups fills the same room.
        if (kind == Kinds.Backups.Name || kind == Kinds.Snapshots.Name)
        {
            return new QuotaUse
            {
                BackupBytes = (await store.TotalsAsync(Kinds.Backups.Name, owner, StoredSizeFigures, ct)).Sums[0]
                    + (await store.TotalsAsync(Kinds.Snapshots.Name, owner, StoredSizeFigures, ct)).Sums[0],
            };
        }
        return new QuotaUse();
    }

    public async Task<QuotaUse> AllAsync(string owner, CancellationToken ct)
    {
        var vms = await OfKindAsync(Kinds.Vms.Name, owner, ct);
        var images = await OfKindAsync(Kinds.Images.Name, owner, ct);
        var networks = await OfKindAsync(Kinds.Networks.Name, owner, ct);
        var routers = await OfKindAsync(Kinds.Routers.Name, owner, ct);
        var stored = await OfKindAsync(Kinds.Backups.Name, owner, ct);
        return vms with { ImageBytes = images.ImageBytes, Networks = networks.Networks, Routers = routers.Routers, BackupBytes = stored.BackupBytes };
    }
}
