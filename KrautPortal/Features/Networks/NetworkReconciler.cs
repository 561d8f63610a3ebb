using KrautPortal.Features.Auth;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Networks;

/// <summary>Keeps each Kraut network realised as a libvirt network on every host, and tears it down on deletion.</summary>
public sealed class NetworkReconciler(IServiceScopeFactory scopes, HostRegistry hosts, NetworkRealizer realizer, NetworkVxlan vxlan,
    ILogger<NetworkReconciler> logger)
    : ReconcileLoop(logger, workers: 1)
{
    protected override TimeSpan? PollInterval => TimeSpan.FromSeconds(30);

    protected override async Task StartupAsync(CancellationToken ct)
    {
        await PollAsync(ct);
        try
        {
            await RemoveOrphanVxlanLinksAsync(ct);
        }
        catch (Exception e) when (e is Hypervisor.VxlanException or System.ComponentModel.Win32Exception)
        {
            logger.LogWarning(e, "Could not collect orphan VXLAN links");
        }
    }

    /// <summary>A crash between deleting a network and its link (or a VXLAN dropped from a spec) leaves a link only this finds.</summary>
    private async Task RemoveOrphanVxlanLinksAsync(CancellationToken ct)
    {
        if (!hosts.Hosts.Any(NetworkVxlan.IsLocal)) return;
        var removed = await vxlan.RemoveOrphansAsync(async () =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            var networks = await db.Resources.AsNoTracking().Where(r => r.Kind == Kinds.Networks.Name).Select(r => new { r.Id, r.Spec }).ToListAsync(ct);
            return networks.Where(n => KrautJson.Deserialize<NetworkSpec>(n.Spec).Vxlan is not null).Select(n => n.Id).ToList();
        }, ct);
        foreach (var link in removed) logger.LogInformation("Removed VXLAN link {Link}: its network is gone or has no VXLAN", link);
    }

    protected override async Task PollAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        foreach (var id in await db.Resources.Where(r => r.Kind == Kinds.Networks.Name).Select(r => r.Id).ToListAsync(ct))
            Enqueue(id, ensure: false);
    }

    protected override async Task<TimeSpan?> ReconcileAsync(Guid id, bool ensure, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
        var row = await store.FindAsync(Kinds.Networks.Name, id, Actor.System, ct);
        if (row is null)
        {
            foreach (var host in hosts.Hosts.Where(h => h.TryConnect())) realizer.Remove(host, id);
            foreach (var host in hosts.Hosts) await vxlan.RemoveAsync(host, id, ct);
            return null;
        }
        var network = Resource<NetworkSpec, NetworkStatus>.FromRow(row);
        if (network.DeletionRequestedAt is not null)
        {
            await store.SetStatusAsync(Kinds.Networks.Name, id, KrautJson.Serialize(network.Status with { Phase = NetworkPhase.Deleting }), ct);
            foreach (var host in hosts.Hosts) realizer.Remove(host, id);
            foreach (var host in hosts.Hosts) await vxlan.RemoveAsync(host, id, ct);
            await store.DeleteAsync(Kinds.Networks.Name, id, null, Actor.System, ct);
            return null;
        }

        NetworkStatus status;
        try
        {
            string? bridge = null;
            VxlanStatus? vxlanStatus = null;
            foreach (var host in hosts.Hosts)
            {
                bridge = realizer.Ensure(host, network);
                vxlanStatus = await vxlan.EnsureAsync(host, id, network.Spec, bridge, ct) ?? vxlanStatus;
            }
            status = network.Status with
            {
                Phase = NetworkPhase.Active,
                LibvirtName = NetworkNames.LibvirtName(scope.ServiceProvider.GetRequiredService<KrautInstance>(), id),
                Bridge = bridge,
                Vxlan = vxlanStatus,
                ObservedVersion = network.Version,
                Message = null,
            };
        }
        catch (Exception e) when (e is Hypervisor.LibvirtException or HostUnavailableException or Hypervisor.VxlanException)
        {
            status = network.Status with { Phase = NetworkPhase.Failed, Message = e is Hypervisor.VxlanException ? $"VXLAN: {e.Message}" : e.Message };
            await store.SetStatusAsync(Kinds.Networks.Name, id, KrautJson.Serialize(status), ct);
            throw;
        }
        await store.SetStatusAsync(Kinds.Networks.Name, id, KrautJson.Serialize(status), ct);
        return null;
    }
}
