using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Networks.Ipam;

/// <summary>
/// At start-up, frees allocations whose NIC no longer exists in any VM record. Allocations change in the same
/// transaction as their VM, so this only finds something after a bug or a hand-edited database; it is the
/// "converges after restart" guarantee made explicit.
/// </summary>
public static class IpamSweep
{
    public static async Task<int> RunAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        var vms = await scope.ServiceProvider.GetRequiredService<INetworkMembers>().AllAsync(ct);
        var live = vms.SelectMany(v => v.Nics.Select(n => (v.Id, n.Id))).ToHashSet();

        var ips = await db.IpAllocations.AsNoTracking().Select(a => new { a.VmId, a.NicId }).Distinct().ToListAsync(ct);
        var macs = await db.MacAllocations.AsNoTracking().Select(a => new { a.VmId, a.NicId }).ToListAsync(ct);
        var orphans = ips.Concat(macs).Where(a => !live.Contains((a.VmId, a.NicId))).Select(a => a.NicId).Distinct().ToList();
        foreach (var chunk in orphans.Chunk(500))
        {
            await db.IpAllocations.Where(a => chunk.Contains(a.NicId)).ExecuteDeleteAsync(ct);
            await db.MacAllocations.Where(a => chunk.Contains(a.NicId)).ExecuteDeleteAsync(ct);
        }
        if (orphans.Count > 0)
            scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IpamSweep))
                .LogWarning("Freed the addresses and MACs of {Count} NICs that no longer exist", orphans.Count);
        return orphans.Count;
    }
}
