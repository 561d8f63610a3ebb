using KrautPortal.Features.Hosts;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Networks;

/// <summary>
/// At start, removes this installation's VXLAN links whose network is gone or has no VXLAN any more: what a crash
/// between deleting a network (or dropping its VXLAN) and deleting its link leaves behind.
/// </summary>
/// <remarks>Safe beside the running reconciler: the links are listed before the networks are read (see NetworkVxlan.RemoveOrphansAsync).</remarks>
public sealed class VxlanOrphanCollector(IServiceScopeFactory scopes, HostRegistry hosts, NetworkVxlan vxlan, ILogger<VxlanOrphanCollector> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!hosts.Hosts.Any(NetworkVxlan.IsLocal)) return;
        try
        {
            var removed = await vxlan.RemoveOrphansAsync(() => NetworksWithVxlanAsync(stoppingToken), stoppingToken);
            foreach (var link in removed) logger.LogInformation("Removed VXLAN link {Link}: its network is gone or has no VXLAN", link);
        }
        catch (Exception e) when (e is Hypervisor.VxlanException or System.ComponentModel.Win32Exception)
        {
            logger.LogWarning(e, "Could not collect orphan VXLAN links");
        }
    }

    private async Task<IReadOnlyCollection<Guid>> NetworksWithVxlanAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        var networks = await db.Resources.AsNoTracking().Where(r => r.Kind == Kinds.Networks.Name).Select(r => new { r.Id, r.Spec }).ToListAsync(ct);
        return networks.Where(n => KrautJson.Deserialize<NetworkSpec>(n.Spec).Vxlan is not null).Select(n => n.Id).ToList();
    }
}
