using KrautPortal.Features.AddressPools;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Networks.HostFacts;
using KrautPortal.Features.Networks.Ipam;
using KrautPortal.Features.Networks.Validation;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Networks;

public sealed class NetworkRules(DbSession session, KindReader reader, INetworkMembers members, NetworkReconciler reconciler, AddressPoolPolicy pools,
    IHostNetworkFacts hostFacts)
    : IResourceRules<NetworkSpec, NetworkStatus>, IStatusView<NetworkSpec, NetworkStatus>
{
    private KrautDbContext db => session.Db;

    public KindInfo Kind => Kinds.Networks;
    public bool DeletesAsynchronously => true;

    public async Task<NetworkSpec> PrepareAsync(NetworkSpec spec, Resource<NetworkSpec, NetworkStatus>? existing, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        SubnetChecks.Check(spec, errors);
        spec = SubnetChecks.Normalize(spec);
        GatewayChecks.Check(spec, errors);
        ServiceChecks.Check(spec, errors);
        VxlanChecks.Check(spec.Vxlan, errors);
        if (existing is not null)
        {
            if (existing.Spec.Ipv4Cidr != spec.Ipv4Cidr)
                errors.Add("spec.ipv4Cidr", "The subnet of an existing network cannot change; create a new network instead.");
            if (existing.Spec.Ipv6Prefix != spec.Ipv6Prefix)
                errors.Add("spec.ipv6Prefix", "The IPv6 prefix of an existing network cannot change; create a new network instead.");
        }
        await CheckOthersAsync(spec, existing?.Id, actor, errors, ct);
        // Ranges never change after creation, so where they may lie is decided once; the reconciler re-checks the host before realising.
        if (existing is null)
        {
            await pools.CheckAsync(NetworkRanges.Of(spec), actor, errors, ct);
            foreach (var problem in HostOverlap.Find(spec, hostFacts.Read(), await HostOverlap.KrautBridgesAsync(db, ct)))
                errors.Add(problem.Field, problem.Message);
        }
        if (existing is not null && spec.Gateway is { Kind: GatewayKind.Address, Address: { } gateway }
            && await db.IpAllocations.AnyAsync(a => a.NetworkId == existing.Id && a.Address == gateway, ct))
            errors.Add("spec.gateway.address", $"{gateway} is already a NIC's address on this network; pick a free one.");
        if (spec.Gateway is { Kind: GatewayKind.Vm, VmId: { } vmId, NicId: { } nicId })
            await CheckGatewayVmAsync(vmId, nicId, existing?.Id, actor, errors, ct);
        if (existing is not null && spec.Gateway.Kind != GatewayKind.None && await HasRouterAsync(existing.Id, ct))
            errors.Add("spec.gateway.kind", "This network has a router, which is its gateway; switch the router off before giving the network another gateway.");
        return spec;
    }

    /// <summary>
    /// Whether a router (a router VM's leg) routes the network. A network with a gateway of its own (the host, an address,
    /// a VM) cannot get one: two gateways would each announce themselves.
    /// </summary>
    private async Task<bool> HasRouterAsync(Guid networkId, CancellationToken ct) =>
        (await members.OnNetworkAsync(networkId, ct)).Any(vm => vm.Nics.Any(n => n.NetworkId == networkId && n.RoutesNetwork));

    /// <summary>
    /// Subnets, prefixes and VNIs are compared across all owners: networks share the hosts' routing tables and the
    /// VXLAN segment space. Only networks the actor may see are named.
    /// </summary>
    private async Task CheckOthersAsync(NetworkSpec spec, Guid? self, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        var others = await reader.SpecsAsync<NetworkSpec>(Kinds.Networks, ct, r => r.Id != (self ?? Guid.Empty));
        var hasV4 = Ipv4Subnet.TryParse(spec.Ipv4Cidr, out var subnet, out _);
        var hasV6 = Ipv6Prefix.TryParse(spec.Ipv6Prefix, out var prefix, out _);
        foreach (var other in others)
        {
            var otherSpec = other.Spec;
            string Named(string what) => actor.MaySee(other.Owner, other.IsSystem)
                ? $"network '{other.Name}' ({what})" : "a network you cannot see";
            if (hasV4 && Ipv4Subnet.TryParse(otherSpec.Ipv4Cidr, out var otherSubnet, out _) && subnet.Overlaps(otherSubnet))
                errors.Add("spec.ipv4Cidr", $"{subnet} overlaps {Named(otherSubnet.ToString())}; pick another subnet.");
            if (hasV6 && Ipv6Prefix.TryParse(otherSpec.Ipv6Prefix, out var otherPrefix, out _) && prefix.Overlaps(otherPrefix))
                errors.Add("spec.ipv6Prefix", $"{prefix} overlaps {Named(otherPrefix.ToString())}; pick another prefix.");
            if (spec.Vxlan is { } vxlan && otherSpec.Vxlan?.Vni == vxlan.Vni)
                errors.Add("spec.vxlan.vni", $"VNI {vxlan.Vni} is already used by {Named("VNI " + vxlan.Vni)}; each network needs its own.");
        }
    }

    /// <summary>The routing VM must be one the actor may use, and its NIC must already be on this network.</summary>
    private async Task CheckGatewayVmAsync(Guid vmId, Guid nicId, Guid? self, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        var vm = await members.FindAsync(vmId, actor, ct);
        if (vm is null || !actor.MayAccessOwner(vm.Owner))
        {
            errors.Add("spec.gateway.vmId", $"There is no VM with id {vmId} that you may use.");
            return;
        }
        var nic = vm.Nics.FirstOrDefault(n => n.Id == nicId);
        if (nic is null) errors.Add("spec.gateway.nicId", $"VM '{vm.Name}' has no NIC with id {nicId}.");
        else if (self is null || nic.NetworkId != self)
            errors.Add("spec.gateway.nicId", $"That NIC of VM '{vm.Name}' is not on this network. Create the network, add the VM's NIC to it, then make the VM its gateway.");
    }

    public NetworkStatus InitialStatus(NetworkSpec spec) => new();

    public async Task EnsureDeletableAsync(Resource<NetworkSpec, NetworkStatus> existing, Actor actor, CancellationToken ct)
    {
        await members.EnsureNoneOnAsync(existing.Id, $"Network '{existing.Name}'", actor, ct);
    }

    public void Changed(Guid id) => reconciler.Enqueue(id);

    public Task<IReadOnlyList<Resource<NetworkSpec, NetworkStatus>>> ShownToAsync(IReadOnlyList<Resource<NetworkSpec, NetworkStatus>> items,
        Actor actor, CancellationToken ct) => NetworkVisibility.ShownToAsync(members, items, actor, ct);
}
