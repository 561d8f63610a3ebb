namespace KrautPortal.Features.Networks;

/// <summary>One VM NIC on a network, with what the network's DHCP needs to know about its VM.</summary>
public sealed record NetworkMember(Guid VmId, string VmName, string? Hostname, bool VmDeleting, MemberNic Nic)
{
    /// <summary>Every NIC on <paramref name="networkId"/> of <paramref name="vms"/>, in a stable order.</summary>
    public static IReadOnlyList<NetworkMember> On(Guid networkId, IEnumerable<MemberVm> vms) =>
        vms.SelectMany(vm => vm.Nics.Where(n => n.NetworkId == networkId)
                .Select(n => new NetworkMember(vm.Id, vm.Name, vm.Hostname, vm.Deleting, n)))
            .OrderBy(m => m.VmId).ThenBy(m => m.Nic.Id)
            .ToList();
}
