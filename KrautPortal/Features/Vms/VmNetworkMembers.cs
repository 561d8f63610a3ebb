using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms;

/// <summary>Answers <see cref="INetworkMembers"/>: the VMs on a network and their NICs, read through <see cref="KindReader"/>.</summary>
public sealed class VmNetworkMembers(KindReader reader, ResourceStore store) : INetworkMembers
{
    public async Task<IReadOnlyList<MemberVm>> OnNetworkAsync(Guid networkId, CancellationToken ct)
    {
        var routers = await RouterIdsAsync(ct);
        return (await reader.MentioningAsync<VmSpec>(Kinds.Vms, networkId, ct))
            .Where(vm => vm.Spec.Nics.Any(n => n.NetworkId == networkId))
            .Select(vm => Member(vm, routers.Contains(vm.Id))).ToList();
    }

    public async Task<IReadOnlyList<MemberVm>> AllAsync(CancellationToken ct)
    {
        var routers = await RouterIdsAsync(ct);
        return (await reader.SpecsAsync<VmSpec>(Kinds.Vms, ct)).Select(vm => Member(vm, routers.Contains(vm.Id))).ToList();
    }

    public async Task<IReadOnlyCollection<string>> HostsOfAsync(Guid networkId, CancellationToken ct)
    {
        var on = (await OnNetworkAsync(networkId, ct)).Select(vm => vm.Id).ToHashSet();
        if (on.Count == 0) return [];
        return (await reader.AllAsync<VmSpec, VmStatus>(Kinds.Vms, ct, r => on.Contains(r.Id)))
            .Select(vm => vm.Status.Host).OfType<string>().ToHashSet(StringComparer.Ordinal);
    }

    public async Task<MemberVm?> FindAsync(Guid vmId, Actor actor, CancellationToken ct)
    {
        if (await store.FindAsync(Kinds.Vms.Name, vmId, actor, ct) is not { } row) return null;
        var vm = Resource<VmSpec, VmStatus>.FromRow(row);
        return Member(new Record<VmSpec>(row.Id, row.Name, row.Owner, row.IsSystem, row.DeletionRequestedAt is not null, vm.Spec), RouterVmMarker.IsRouterVm(vm));
    }

    /// <summary>
    /// A router's leg on the network it routes does not hold the network: the router goes with its network (the router
    /// feature removes it). Its upstream leg does hold the network it is on.
    /// </summary>
    public async Task EnsureNoneOnAsync(Guid networkId, string what, Actor actor, CancellationToken ct)
    {
        var routers = await RouterVmMarker.AllAsync(reader, ct);
        await EnsureNoRouterUpstreamAsync(networkId, routers, what, actor, ct);
        var legs = routers.Select(vm => RouterVmMarker.RoutedNicOn(vm, networkId)?.Id).OfType<Guid>().ToHashSet();
        await store.EnsureUnreferencedAsync<VmSpec>(Kinds.Vms, networkId, vm => vm.Nics.Any(n => n.NetworkId == networkId && !legs.Contains(n.Id)),
            what, "Remove their NICs on it first.", actor, ct);
    }

    /// <summary>A router's upstream leg is named by the network it routes: its owner never sees the router VM itself.</summary>
    private async Task EnsureNoRouterUpstreamAsync(Guid networkId, IReadOnlyList<Resource<VmSpec, VmStatus>> routers, string what, Actor actor, CancellationToken ct)
    {
        var routed = routers
            .Where(vm => vm.Spec.Nics.Count > RouterVmMarker.RoutedNic && vm.Spec.Nics[RouterVmMarker.UpstreamNic].NetworkId == networkId)
            .Select(vm => vm.Spec.Nics[RouterVmMarker.RoutedNic].NetworkId).ToList();
        if (routed.Count == 0) return;
        var names = (await reader.SpecsAsync<NetworkSpec>(Kinds.Networks, ct, r => routed.Contains(r.Id)))
            .Select(n => actor.MaySee(n.Owner, n.IsSystem) ? $"'{n.Name}'" : "a network you cannot see").Order(StringComparer.Ordinal).ToList();
        throw new ConflictException($"{what} is the upstream of the router of {(names.Count == 1 ? "network" : "networks")} {string.Join(", ", names)}. "
            + "Switch that router off or give it another upstream first.");
    }

    /// <summary>The router VMs' ids: the spec-only reads above carry no metadata, where the marker is.</summary>
    private async Task<HashSet<Guid>> RouterIdsAsync(CancellationToken ct) =>
        (await RouterVmMarker.AllAsync(reader, ct)).Select(vm => vm.Id).ToHashSet();

    private static MemberVm Member(Record<VmSpec> vm, bool isRouter) =>
        new(vm.Id, vm.Name, vm.Owner, vm.IsSystem, vm.Deleting, vm.Spec.Hostname,
            vm.Spec.Nics.Select((nic, index) => Nic(nic) with { RoutesNetwork = isRouter && index == RouterVmMarker.RoutedNic }).ToList());

    /// <summary>The network's view of a VM NIC; <see cref="VmNicAddresses"/> turns IPAM's answer back into a <see cref="VmNic"/>.</summary>
    public static MemberNic Nic(VmNic nic) =>
        new() { Id = nic.Id, NetworkId = nic.NetworkId, Mac = nic.Mac, Ipv4Address = nic.Ipv4Address, Ipv6Address = nic.Ipv6Address };
}
