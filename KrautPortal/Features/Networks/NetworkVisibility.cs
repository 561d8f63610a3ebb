using KrautPortal.Features.Store;

namespace KrautPortal.Features.Networks;

/// <summary>
/// Who may see whom on a network: its owner (user or group) and administrators see every NIC, lease and address;
/// anyone else using it (a shared network) sees only those of the VMs they may see, never another tenant's.
/// </summary>
public static class NetworkVisibility
{
    public static bool SeesEveryone(Actor actor, string networkOwner) => actor.MayAccessOwner(networkOwner);

    /// <summary>The MACs (lower case) of the NICs on <paramref name="networkIds"/> of every VM <paramref name="actor"/> may see.</summary>
    public static async Task<HashSet<string>> VisibleMacsAsync(INetworkMembers members, IReadOnlyCollection<Guid> networkIds, Actor actor, CancellationToken ct)
    {
        var owners = actor.ReadableOwners.ToHashSet(StringComparer.Ordinal);
        var vms = new Dictionary<Guid, MemberVm>();
        foreach (var networkId in networkIds)
            foreach (var vm in await members.OnNetworkAsync(networkId, ct)) vms[vm.Id] = vm;
        return vms.Values.Where(vm => !vm.IsSystem && owners.Contains(vm.Owner)).SelectMany(vm => vm.Nics)
            .Where(n => n.Mac is not null && networkIds.Contains(n.NetworkId))
            .Select(n => n.Mac!.ToLowerInvariant())
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The networks as <paramref name="actor"/> may see them: leases of other tenants' VMs left out.</summary>
    public static async Task<IReadOnlyList<Resource<NetworkSpec, NetworkStatus>>> ShownToAsync(INetworkMembers members,
        IReadOnlyList<Resource<NetworkSpec, NetworkStatus>> networks, Actor actor, CancellationToken ct)
    {
        var narrowed = networks.Where(n => !SeesEveryone(actor, n.Owner) && n.Status.Leases.Count > 0).Select(n => n.Id).ToList();
        if (narrowed.Count == 0) return networks;
        var macs = await VisibleMacsAsync(members, narrowed, actor, ct);
        return networks.Select(n => !narrowed.Contains(n.Id) ? n : n with
        {
            Status = n.Status with { Leases = n.Status.Leases.Where(l => macs.Contains(l.Mac.ToLowerInvariant())).ToList() },
        }).ToList();
    }
}
