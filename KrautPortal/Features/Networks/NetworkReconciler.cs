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

    protected override async Task StartupAsync(CancellationToken ct) => await PollAsync(ct);

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
            await vxlan.RemoveAsync(hosts.Hosts, id, ct);
            return null;
        }
        var network = Resource<NetworkSpec, NetworkStatus>.FromRow(row);
        if (network.DeletionRequestedAt is not null)
        {
            await store.SetStatusAsync(Kinds.Networks.Name, id, KrautJson.Serialize(network.Status with { Phase = NetworkPhase.Deleting }), ct);
            foreach (var host in hosts.Hosts) realizer.Remove(host, id);
            await vxlan.RemoveAsync(hosts.Hosts, id, ct);
            await store.DeleteAsync(Kinds.Networks.Name, id, null, Actor.System, ct);
            return null;
        }

        NetworkStatus status;
        try
        {
            string? bridge = null;
            foreach (var host in hosts.Hosts) bridge = realizer.Ensure(host, network);
            status = network.Status with
            {
                Phase = NetworkPhase.Active,
                LibvirtName = NetworkNames.LibvirtName(scope.ServiceProvider.GetRequiredService<KrautInstance>(), id),
                Bridge = bridge,
                ObservedVersion = network.Version,
                Message = null,
            };
            // After the libvirt network is active: its bridge is what the VXLAN link joins.
            status = status with { Vxlan = await vxlan.EnsureAsync(hosts.Hosts, network, ct) };
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
