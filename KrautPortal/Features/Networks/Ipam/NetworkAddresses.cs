using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Networks.Ipam;

/// <summary>One address in use on a network: by a NIC, the host's bridge or the gateway. VM and NIC are null when the caller may not see that VM.</summary>
public sealed record NetworkAddress(string Address, string Family, string UsedBy, Guid? VmId, string? VmName, Guid? NicId, string? Mac);

/// <summary>
/// Who is on a network and with which addresses. The network's owner and administrators see every address in use
/// (naming only the VMs they may see); anyone else on a shared network sees the host's, the gateway's and their own.
/// </summary>
public sealed class NetworkAddresses(ResourceService<NetworkSpec, NetworkStatus> networks, DbSession session, INetworkMembers members, IActorAccessor actors)
{
    private KrautDbContext db => session.Db;

    public async Task<IReadOnlyList<NetworkAddress>> ListAsync(Guid networkId, CancellationToken ct)
    {
        var network = await networks.GetAsync(networkId, ct);
        var plan = new AddressPlan(network.Spec);
        var list = new List<NetworkAddress>();
        if (plan.HostIpv4 is { } host) list.Add(new(AddressPlan.Format(IpFamily.Ipv4, host), "ipv4", "host", null, null, null, null));
        if (plan.GatewayIpv4 is { } gw) list.Add(new(AddressPlan.Format(IpFamily.Ipv4, gw), "ipv4", "gateway", null, null, null, null));
        if (plan.HostIpv6 is { } host6) list.Add(new(AddressPlan.Format(IpFamily.Ipv6, host6), "ipv6", "host", null, null, null, null));

        var allocations = await db.IpAllocations.AsNoTracking().Where(a => a.NetworkId == networkId).ToListAsync(ct);
        var actor = actors.Current;
        var seesEveryone = NetworkVisibility.SeesEveryone(actor, network.Owner);
        var vms = (await members.OnNetworkAsync(networkId, ct))
            .Select(v => (v.Id, v.Name, Visible: actor.MaySee(v.Owner, v.IsSystem), v.Nics))
            .ToDictionary(v => v.Id);
        foreach (var a in allocations)
        {
            var family = a.Family == (int)IpFamily.Ipv4 ? "ipv4" : "ipv6";
            if (vms.TryGetValue(a.VmId, out var vm) && vm.Visible)
                list.Add(new(a.Address, family, "nic", a.VmId, vm.Name, a.NicId, vm.Nics.FirstOrDefault(n => n.Id == a.NicId)?.Mac));
            else if (seesEveryone)
                list.Add(new(a.Address, family, "nic", null, null, null, null));
        }
        // SLAAC addresses are not allocated but follow from the MAC; shown so the list tells where each NIC is.
        if (plan.Ipv6 is not null && !plan.Ipv6Allocated)
        {
            foreach (var vm in vms.Values.Where(v => v.Visible))
                foreach (var nic in vm.Nics.Where(n => n.NetworkId == networkId))
                    if (plan.SlaacAddress(nic.Mac) is { } slaac) list.Add(new(slaac, "ipv6", "nic (SLAAC)", vm.Id, vm.Name, nic.Id, nic.Mac));
        }
        return list;
    }
}
