using System.Net;
using KrautPortal.Features.Networks;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Vms;

/// <summary>Which network filter a VM's NIC gets on its network, and with which of its addresses (see <see cref="GuestFilters"/>).</summary>
public static class GuestNicFilter
{
    /// <param name="forwards">The NIC carries other hosts' packets (a router VM's leg, see <see cref="ForRouterLeg"/>).</param>
    public static NicFilter For(Guid vmId, VmNic nic, NetworkSpec network, bool forwards = false)
    {
        // The gateway VM forwards other hosts' packets and advertises itself as the router: only its MAC is checked.
        if (forwards || network.Gateway is { Kind: GatewayKind.Vm } gateway && gateway.VmId == vmId && gateway.NicId == nic.Id) return GuestFilters.ForGateway();

        string? ipv4 = null, learnFrom = null;
        if (Ipv4Subnet.TryParse(network.Ipv4Cidr, out var subnet, out _))
        {
            ipv4 = IsAddress(nic.Ipv4Address) ? nic.Ipv4Address : null;
            if (ipv4 is null && network.Ipv4Mode == Ipv4Mode.Dhcp) learnFrom = NetworkPlan.HostIpv4(subnet, network.Gateway.Kind);
        }

        if (!Ipv6Prefix.TryParse(network.Ipv6Prefix, out var prefix, out _)) return GuestFilters.ForGuest(ipv4, null, learnIpv4From: learnFrom);
        // SLAAC addresses are the guest's choice within the prefix (EUI-64, stable-privacy or temporary ones).
        var prefixAddress = network.Ipv6Prefix!.Split('/')[0];
        return network.Ipv6Mode != Ipv6Mode.Slaac && IsAddress(nic.Ipv6Address)
            ? GuestFilters.ForGuest(ipv4, nic.Ipv6Address, 128, learnFrom)
            : GuestFilters.ForGuest(ipv4, prefixAddress, prefix.Length, learnFrom);
    }

    /// <summary>
    /// A router VM's leg number <paramref name="index"/>. The routed leg and an upstream leg on one of the owner's networks
    /// carry guests' addresses (forwarded, or routed back in), so only the MAC is checked. On Kraut's shared uplink (a system
    /// network) everything leaves NATed to the router's own address, and the usual anti-spoofing keeps a tenant with root on
    /// their router (geek mode) from posing as another tenant's router there.
    /// </summary>
    public static NicFilter ForRouterLeg(Guid vmId, int index, VmNic nic, PlannedNetwork network) =>
        For(vmId, nic, network.Network.Spec, forwards: index == RouterVmMarker.RoutedNic || !network.Network.System);

    private static bool IsAddress(string? text) => text is not null && IPAddress.TryParse(text, out _);
}
