using System.Collections.Concurrent;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Networks.HostFacts;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Networks;

/// <summary>What a network looks like on one host after <see cref="NetworkRealizer.EnsureAsync"/>.</summary>
public sealed record NetworkRealization(string Bridge, IReadOnlyList<DhcpLease> Leases, IReadOnlyList<string> Notes);

/// <summary>
/// Makes one Kraut network exist and run on one host as a libvirt network (bridge + dnsmasq), with a DHCP
/// reservation for every NIC on it, or removes it there. Idempotent: it compares what libvirt has with the plan,
/// so a run interrupted at any point is finished by the next one.
/// </summary>
public sealed class NetworkRealizer(KrautInstance instance, IHostNetworkFacts hostFacts, IServiceScopeFactory scopes)
{
    // The network and VM reconcilers both ensure networks; one at a time per network, and the NIC list is read
    // inside the lock, so a caller holding an older list cannot remove a reservation another has just added.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    /// <summary>Raised after a VM's build ensured a network on its host (<c>forVm</c>): the network may now span that host too.</summary>
    public event Action<Guid>? EnsuredForVm;

    public async Task<NetworkRealization> EnsureAsync(KrautHost host, Resource<NetworkSpec, NetworkStatus> network, KrautDbContext db, CancellationToken ct,
        bool forVm = false)
    {
        var realized = await EnsureLockedAsync(host, network, db, ct);
        if (forVm) EnsuredForVm?.Invoke(network.Id);
        return realized;
    }

    private async Task<NetworkRealization> EnsureLockedAsync(KrautHost host, Resource<NetworkSpec, NetworkStatus> network, KrautDbContext db, CancellationToken ct)
    {
        var name = NetworkNames.LibvirtName(instance, network.Id);
        var gate = _locks.GetOrAdd($"{host.Uri}|{name}", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            // Several replicas (PostgreSQL): the host's owner (for its VMs) and the network's owner may be two processes;
            // a transaction lock keeps them one at a time too. Nothing on SQLite: one portal, the gate above suffices.
            await using var lockScope = scopes.CreateAsyncScope();
            var lockDb = lockScope.ServiceProvider.GetRequiredService<KrautDbContext>();
            await using var turn = lockDb.Sql.TransactionLock is null ? null : await lockDb.Database.BeginTransactionAsync(ct);
            if (turn is not null) await lockDb.LockForTransactionAsync($"realize:{host.Uri}|{name}", ct);
            await EnsureRangeIsFreeAsync(host, name, network.Spec, db, ct);
            var members = NetworkMember.On(network.Id, await MembersAsync(network.Id, ct));
            var plan = NetworkPlan.For(network.Id, name, network.Spec, members);
            return Apply(host.Connection, plan);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The VMs on the network, read fresh; networks ask the VM feature (<see cref="INetworkMembers"/>) in a scope of their own.</summary>
    private async Task<IReadOnlyList<MemberVm>> MembersAsync(Guid networkId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<INetworkMembers>().OnNetworkAsync(networkId, ct);
    }

    /// <summary>
    /// The range was free of the host's own addresses and routes when the network was created; refuse to start it
    /// if the host has taken it since (a new interface, route or DNS server). The network's own bridge does not count.
    /// </summary>
    private async Task EnsureRangeIsFreeAsync(KrautHost host, string name, NetworkSpec spec, KrautDbContext db, CancellationToken ct)
    {
        // Only this machine's own addresses and routes are known; the test driver's networks are records, not bridges.
        if (!host.IsLocal) return;
        var bridges = await HostOverlap.KrautBridgesAsync(db, ct);
        using (var existing = host.Connection.FindNetwork(name))
        {
            if (existing?.GetBridgeName() is { Length: > 0 } own) bridges.Add(own);
        }
        var problems = HostOverlap.Find(spec, hostFacts.Read(), bridges);
        if (problems.Count > 0) throw new NetworkRangeTakenException("Not started: " + string.Join(" ", problems.Select(p => p.Message)));
    }

    public void Remove(KrautHost host, Guid networkId)
    {
        using var libvirtNetwork = host.Connection.FindNetwork(NetworkNames.LibvirtName(instance, networkId));
        if (libvirtNetwork is null) return;
        if (libvirtNetwork.IsActive) libvirtNetwork.Destroy();
        if (libvirtNetwork.IsPersistent) libvirtNetwork.Undefine();
    }

    private static NetworkRealization Apply(LibvirtConnection connection, NetworkPlan plan)
    {
        var wanted = plan.Definition;
        var notes = plan.Notes.ToList();
        using var network = connection.FindNetwork(wanted.Name) ?? connection.DefineNetwork(NetworkXml.Build(wanted));

        var config = NetworkXml.Parse(PersistentXml(network));
        if (NetworkXml.Shape(config) != NetworkXml.Shape(wanted)) Redefine(connection, wanted);
        else
        {
            try
            {
                SyncReservations(network, config, wanted, live: false, notes);
            }
            catch (LibvirtException e) when (e.Code == LibvirtException.ErrOperationInvalid)
            {
                // The definition holds a reservation the XML read did not show (libvirt's test driver shows its live
                // definition where the persistent one is asked for), so an add collides with it on MAC, name or address
                // and would collide on every later pass too. The plan is the whole truth: write it as the definition.
                Redefine(connection, wanted);
            }
        }

        if (!network.IsActive)
        {
            // Starting from the persistent definition brings the reservations with it.
            network.Start();
        }
        else
        {
            var live = NetworkXml.Parse(network.GetXml());
            if (NetworkXml.Shape(live) == NetworkXml.Shape(wanted))
            {
                SyncReservations(network, live, wanted, live: true, notes);
            }
            else if (CountGuests(network) == 0)
            {
                // Nobody is plugged in, so a restart costs nothing; with guests on it, it would cut them off.
                network.Destroy();
                network.Start();
            }
            else
            {
                SyncReservations(network, live, wanted, live: true, notes);
                notes.Add("Some changes (addressing, gateway, DNS, MTU or routes) take effect when no running VM uses the network any more.");
            }
        }
        network.SetAutostart(true);
        return new NetworkRealization(network.GetBridgeName() ?? "", network.GetDhcpLeases(), notes);
    }

    private static void Redefine(LibvirtConnection connection, NetworkDefinition wanted)
    {
        // Defining over an existing network replaces only its persistent definition; a running one keeps going.
        using (connection.DefineNetwork(NetworkXml.Build(wanted))) { }
    }

    /// <summary>Removes reservations libvirt has that the plan does not, then adds the missing ones, each without a restart.</summary>
    private static void SyncReservations(LibvirtNetwork network, NetworkDefinition current, NetworkDefinition wanted, bool live, List<string> notes)
    {
        var v4Index = 0;
        var v6Index = wanted.Ipv4Address is null ? 0 : 1;
        try
        {
            Sync(network, current.Hosts, wanted.Hosts, v4Index, ipv6: false, live);
            Sync(network, current.Ipv6?.Hosts ?? [], wanted.Ipv6?.Hosts ?? [], v6Index, ipv6: true, live);
        }
        catch (LibvirtException e) when (e.IsUnsupported)
        {
            // A driver without virNetworkUpdate (libvirt's test driver): the persistent definition carries them instead.
            notes.Add("This host cannot change DHCP reservations of a running network; they apply when it restarts.");
        }
    }

    private static void Sync(LibvirtNetwork network, IReadOnlyList<DhcpHost> current, IReadOnlyList<DhcpHost> wanted, int ipIndex, bool ipv6, bool live)
    {
        foreach (var stale in current.Where(c => !wanted.Contains(c)))
        {
            try
            {
                network.UpdateDhcpHost(add: false, ipIndex, NetworkXml.BuildHost(stale, ipv6), live, config: !live);
            }
            catch (LibvirtException e) when (e.Code == LibvirtException.ErrOperationInvalid)
            {
                // "Couldn't locate a matching dhcp host entry": it is already gone, which is what was wanted. libvirt's
                // test driver shows its live definition where a persistent one is asked for, so the entry read as
                // present may be absent from the definition being changed.
            }
        }
        foreach (var missing in wanted.Where(w => !current.Contains(w)))
            network.UpdateDhcpHost(add: true, ipIndex, NetworkXml.BuildHost(missing, ipv6), live, config: !live);
    }

    private static string PersistentXml(LibvirtNetwork network)
    {
        try
        {
            return network.GetXml(inactive: true);
        }
        catch (LibvirtException e) when (e.IsUnsupported || e.Code == LibvirtException.ErrInvalidArg)
        {
            // libvirt's test driver knows no separate persistent definition ("unsupported flags").
            return network.GetXml();
        }
    }

    private static int CountGuests(LibvirtNetwork network)
    {
        try
        {
            return network.CountPorts();
        }
        catch (LibvirtException e) when (e.IsUnsupported)
        {
            return 0;
        }
    }
}

/// <summary>The network's range overlaps something the host uses itself, so it is not realised.</summary>
public sealed class NetworkRangeTakenException(string message) : Exception(message);
