using KrautPortal.Features.Networks.Ipam;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms;

/// <summary>IPAM for a VM's NIC: IPAM works on the network's view of a NIC (<see cref="Networks.MemberNic"/>), the VM keeps its own.</summary>
public static class VmNicAddresses
{
    /// <summary>Gives <paramref name="nic"/> its MAC and addresses (see <see cref="IpamService.AssignAsync"/>).</summary>
    public static async Task<VmNic> AssignAsync(this IpamService ipam, Guid vmId, VmNic nic, IpamNetwork network, string field,
        ValidationErrors errors, CancellationToken ct)
    {
        var assigned = await ipam.AssignAsync(vmId, VmNetworkMembers.Nic(nic), network, field, errors, ct);
        return nic with { Mac = assigned.Mac, Ipv4Address = assigned.Ipv4Address, Ipv6Address = assigned.Ipv6Address };
    }
}
