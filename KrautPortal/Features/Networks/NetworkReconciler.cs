using KrautPortal.Features.Auth;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Networks;

/// <summary>Keeps each Kraut network realised as a libvirt network on every host, and tears it down on deletion.</summary>
public sealed class NetworkReconciler : ReconcileLoop
{
    private readonly IServiceScopeFactory _scopes;
    private readonly HostRegistry _hosts;
    private readonly NetworkRealizer _realizer;
    private readonly NetworkVxlan _vxlan;
    private readonly Span.HostSpan _span;

    public NetworkReconciler(IServiceScopeFactory scopes, HostRegistry hosts, NetworkRealizer realizer, NetworkVxlan vxlan, Span.HostSpan span,
        ILogger<NetworkReconciler> logger) : base(logger, workers: 1)
    {
        (_scopes, _hosts, _realizer, _vxlan, _span) = (scopes, hosts, realizer, vxlan, span);
        // A VM was built on a host: the network may now span one more host, which should not wait for the next poll.
        realizer.EnsuredForVm += id => Enqueue(id, ensure: false);
    }

    // Also how often leases are read back into the status.
    protected override TimeSpan? PollInterval => TimeSpan.FromSeconds(15);

    /// <summary>Looks at every network again: a VM or NIC went away, so a reservation or the gateway may have too.</summary>
    public override string? WatchedKind => Kinds.Networks.Name;

    protected override Task<string?> OwnerKeyAsync(Guid id, CancellationToken ct) => Task.FromResult<string?>(OwnerKeys.Network(id));

    public void EnqueueAll() => _ = Task.Run(() => PollAsync(CancellationToken.None));

    protected override async Task StartupAsync(CancellationToken ct) => await PollAsync(ct);

    protected override async Task PollAsync(CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var reader = scope.ServiceProvider.GetRequiredService<KindReader>();
        foreach (var id in await reader.IdsAsync(Kinds.Networks, ct))
            Enqueue(id, ensure: false);
    }

    protected override async Task<TimeSpan?> ReconcileAsync(Guid id, bool ensure, CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
        var row = await store.FindAsync(Kinds.Networks.Name, id, Actor.System, ct);
        if (row is null)
        {
            foreach (var host in _hosts.Hosts.Where(h => h.TryConnect())) _realizer.Remove(host, id);
            await _vxlan.RemoveAsync(_hosts.Hosts, id, ct);
            await _span.RemoveAsync(_hosts.Hosts, id, ct);
            return null;
        }
        var network = Resource<NetworkSpec, NetworkStatus>.FromRow(row);
        var writer = new StatusWriter<NetworkStatus>(store, Kinds.Networks, id, network.Status);
        if (network.DeletionRequestedAt is not null)
        {
            await writer.WriteAsync(s => s with { Phase = NetworkPhase.Deleting }, ct);
            // Only a router's leg can still be on it (deleting refuses while other NICs are): it goes with the network, first.
            if ((await scope.ServiceProvider.GetRequiredService<INetworkMembers>().OnNetworkAsync(id, ct)).Count > 0)
            {
                await writer.WriteAsync(s => s with { Message = "Waiting for the network's router to be removed first." }, ct);
                return TimeSpan.FromSeconds(2);
            }
            foreach (var host in _hosts.Hosts) _realizer.Remove(host, id);
            await _vxlan.RemoveAsync(_hosts.Hosts, id, ct);
            await _span.RemoveAsync(_hosts.Hosts, id, ct);
            await store.DeleteAsync(Kinds.Networks.Name, id, null, Actor.System, ct);
            return null;
        }

        NetworkStatus status;
        try
        {
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            string? bridge = null;
            var leases = new List<NetworkLease>();
            var notes = new List<string>();
            foreach (var host in _hosts.Hosts)
            {
                var realized = await _realizer.EnsureAsync(host, network, db, ct);
                bridge = realized.Bridge;
                leases.AddRange(realized.Leases.Select(l => new NetworkLease(l.Mac, l.IpAddress, l.Hostname, l.ExpiresAt.UtcDateTime)));
                notes.AddRange(realized.Notes.Where(n => !notes.Contains(n)));
            }
            status = network.Status with
            {
                Phase = NetworkPhase.Active,
                LibvirtName = NetworkNames.LibvirtName(scope.ServiceProvider.GetRequiredService<KrautInstance>(), id),
                Bridge = bridge,
                ObservedVersion = network.Version,
                Leases = leases.OrderBy(l => l.Mac, StringComparer.Ordinal).ThenBy(l => l.Address, StringComparer.Ordinal).ToList(),
                Message = notes.Count == 0 ? null : string.Join(" ", notes),
            };
            // After the libvirt network is active: its bridge is what the VXLAN link joins.
            status = status with { Vxlan = await _vxlan.EnsureAsync(_hosts.Hosts, network, ct) };
            var spanning = await scope.ServiceProvider.GetRequiredService<INetworkMembers>().HostsOfAsync(id, ct);
            status = status with { Span = await _span.EnsureAsync(_hosts.Hosts, id, network.Spec, spanning, network.Status.Span, ct) };
            notes.AddRange(status.Span.Where(l => l.Message is not null).Select(l => $"Spanning hosts: {l.Host}: {l.Message}"));
            status = status with { Message = notes.Count == 0 ? null : string.Join(" ", notes) };
        }
        catch (Exception e) when (e is Hypervisor.LibvirtException or HostUnavailableException or Hypervisor.VxlanException or NetworkRangeTakenException)
        {
            status = network.Status with { Phase = NetworkPhase.Failed, Message = e is Hypervisor.VxlanException ? $"VXLAN: {e.Message}" : e.Message };
            await writer.WriteAsync(_ => status, ct);
            throw;
        }
        await writer.WriteAsync(_ => status, ct);
        // A host that could not be joined or left (unreachable, its agent failing) is tried again soon, not at the next change.
        return status.Span.Any(l => l.State == "failed") ? TimeSpan.FromSeconds(10) : null;
    }
}
