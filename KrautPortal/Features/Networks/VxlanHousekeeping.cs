using KrautPortal.Features.Hosts;
using KrautPortal.Features.Store;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Networks;

/// <summary>
/// The VXLAN links' upkeep outside the reconcile loop. At start: removes this installation's links whose network is
/// gone or has no VXLAN any more (left by a crash between deleting a network and its link). While running: when the
/// kernel reports one of our links changed (its bridge went with a restarted libvirt network, someone took it down),
/// has the network reconciled at once rather than at the next poll.
/// </summary>
public sealed class VxlanHousekeeping(IServiceScopeFactory scopes, HostRegistry hosts, NetworkVxlan vxlan, NetworkReconciler reconciler,
    ILogger<VxlanHousekeeping> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!hosts.Hosts.Any(h => h.IsLocal)) return;
        try
        {
            // Safe beside the running reconciler: links are listed before networks are read (see RemoveOrphansAsync).
            var removed = await vxlan.RemoveOrphansAsync(() => NetworksWithVxlanAsync(stoppingToken), stoppingToken);
            foreach (var link in removed) logger.LogInformation("Removed VXLAN link {Link}: its network is gone or has no VXLAN", link);
        }
        catch (Exception e) when (e is VxlanException or System.ComponentModel.Win32Exception)
        {
            logger.LogWarning(e, "Could not collect orphan VXLAN links");
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await LinkMonitor.WatchAsync(OnLinkChanged, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Watching links failed; VXLAN links are then repaired by the network poll only");
            }
            await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private void OnLinkChanged(string name)
    {
        // A short delay lets a restarting libvirt network bring its new bridge up before the link is re-attached;
        // the reconcile of a link already right changes nothing, so it raises no further events.
        if (vxlan.NetworkOfLink(name) is { } networkId) reconciler.EnqueueAfter(networkId, TimeSpan.FromSeconds(1));
    }

    private async Task<IReadOnlyCollection<Guid>> NetworksWithVxlanAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var networks = await scope.ServiceProvider.GetRequiredService<KindReader>().SpecsAsync<NetworkSpec>(Kinds.Networks, ct);
        return networks.Where(n => n.Spec.Vxlan is not null).Select(n => n.Id).ToList();
    }
}
