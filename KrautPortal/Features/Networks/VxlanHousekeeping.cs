using KrautPortal.Features.Hosts;
using KrautPortal.Features.Store;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Networks;

/// <summary>
/// The VXLAN links' upkeep outside the reconcile loop. At start: removes this installation's links whose network is
/// gone or has no VXLAN any more (left by a crash between deleting a network and its link), and this machine's span
/// links (networks across hosts, <see cref="Span.HostSpan"/>) whose network is gone. While running: when the
/// kernel reports one of our links changed (its bridge went with a restarted libvirt network, someone took it down),
/// has the network reconciled at once rather than at the next poll.
/// </summary>
public sealed class VxlanHousekeeping(IServiceScopeFactory scopes, HostRegistry hosts, NetworkVxlan vxlan, Span.HostSpan span, NetworkReconciler reconciler,
    ILogger<VxlanHousekeeping> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!hosts.Hosts.Any(h => h.IsLocal)) return;
        try
        {
            // Safe beside the running reconciler: links are listed before networks are read (see RemoveOrphansAsync).
            var removed = await vxlan.RemoveOrphansAsync(() => NetworksAsync(n => n.Vxlan is not null, stoppingToken), stoppingToken);
            foreach (var link in removed) logger.LogInformation("Removed VXLAN link {Link}: its network is gone or has no VXLAN", link);
            var spans = await span.RemoveOrphansAsync(() => NetworksAsync(n => true, stoppingToken), stoppingToken);
            foreach (var link in spans) logger.LogInformation("Removed span link {Link}: its network is gone", link);
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

    private async Task<IReadOnlyCollection<Guid>> NetworksAsync(Func<NetworkSpec, bool> which, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var networks = await scope.ServiceProvider.GetRequiredService<KindReader>().SpecsAsync<NetworkSpec>(Kinds.Networks, ct);
        return networks.Where(n => which(n.Spec)).Select(n => n.Id).ToList();
    }
}
