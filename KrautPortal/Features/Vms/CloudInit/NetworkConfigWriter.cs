using System.Net;
using System.Net.Sockets;
using KrautPortal.Features.Networks;
using YamlDotNet.RepresentationModel;

namespace KrautPortal.Features.Vms.CloudInit;

/// <summary>A NIC as the seed describes it: its network, and the routers its static addresses use.</summary>
/// <param name="Static">Static addressing from the NIC's IPAM addresses whatever the network's modes (a router VM's legs:
/// a router must not depend on DHCP, and no DHCP server may hand it a default route it did not choose).</param>
public sealed record SeedNic(VmNic Nic, NetworkSpec Network, string? Ipv4Gateway, string? Ipv6Gateway, bool Static = false);

/// <summary>
/// cloud-init network-config version 2: one ethernet per NIC, matched by MAC. DHCP modes ask for DHCP (the host
/// hands out the reserved address, routes and DNS); static modes carry the NIC's address, the gateway, routes and DNS.
/// </summary>
public static class NetworkConfigWriter
{
    public static string Write(IReadOnlyList<SeedNic> nics)
    {
        var ethernets = new YamlMappingNode();
        for (var i = 0; i < nics.Count; i++) ethernets.Add($"nic{i}", Ethernet(nics[i]));
        return Yaml.Write(new YamlMappingNode { { "version", Yaml.Int(2) }, { "ethernets", ethernets } });
    }

    private static YamlMappingNode Ethernet(SeedNic seed)
    {
        var (nic, net) = (seed.Nic, seed.Network);
        var hasV4 = !string.IsNullOrEmpty(net.Ipv4Cidr);
        var hasV6 = !string.IsNullOrEmpty(net.Ipv6Prefix);
        var staticV4 = hasV4 && (seed.Static || net.Ipv4Mode == Ipv4Mode.Static);
        // Forced static IPv6 needs an address: SLAAC networks allocate none, and their NICs keep taking RAs.
        var staticV6 = hasV6 && (seed.Static ? !string.IsNullOrEmpty(nic.Ipv6Address) : net.Ipv6Mode == Ipv6Mode.Static);

        var addresses = new List<string>();
        var routes = new YamlSequenceNode();
        if (staticV4 && !string.IsNullOrEmpty(nic.Ipv4Address) && PrefixLength(net.Ipv4Cidr) is { } p4)
        {
            addresses.Add($"{nic.Ipv4Address}/{p4}");
            if (seed.Ipv4Gateway is { } gw) routes.Add(Route("0.0.0.0/0", gw));
        }
        if (staticV6 && !string.IsNullOrEmpty(nic.Ipv6Address) && PrefixLength(net.Ipv6Prefix) is { } p6)
        {
            addresses.Add($"{nic.Ipv6Address}/{p6}");
            if (seed.Ipv6Gateway is { } gw) routes.Add(Route("::/0", gw));
        }
        // Extra routes travel by DHCP on DHCP networks; a static family needs them here.
        foreach (var r in net.Routes)
        {
            var v6 = r.Via.Contains(':', StringComparison.Ordinal);
            if (v6 ? staticV6 : staticV4) routes.Add(Route(r.Destination, r.Via));
        }

        var ethernet = new YamlMappingNode
        {
            { "match", new YamlMappingNode { { "macaddress", Yaml.Str(nic.Mac!.ToLowerInvariant()) } } },
            { "dhcp4", Yaml.Bool(hasV4 && !seed.Static && net.Ipv4Mode == Ipv4Mode.Dhcp) },
            { "dhcp6", Yaml.Bool(hasV6 && !seed.Static && net.Ipv6Mode == Ipv6Mode.Dhcpv6) },
            // DHCPv6 needs router advertisements too: they carry the default route and the on-link prefix.
            { "accept-ra", Yaml.Bool(hasV6 && !staticV6 && (seed.Static || net.Ipv6Mode != Ipv6Mode.Static)) },
        };
        if (addresses.Count > 0) ethernet.Add("addresses", Yaml.Strings(addresses));
        if (routes.Children.Count > 0) ethernet.Add("routes", routes);
        if (staticV4 || staticV6)
        {
            var dns = net.DnsServers.Count > 0 ? net.DnsServers
                : net.Gateway.Kind == GatewayKind.Host && seed.Ipv4Gateway is { } host ? [host] : [];
            var nameservers = new YamlMappingNode();
            if (dns.Count > 0) nameservers.Add("addresses", Yaml.Strings(dns));
            if (!string.IsNullOrEmpty(net.DnsDomain)) nameservers.Add("search", Yaml.Strings([net.DnsDomain]));
            if (nameservers.Children.Count > 0) ethernet.Add("nameservers", nameservers);
        }
        if (net.Mtu is { } mtu) ethernet.Add("mtu", Yaml.Int(mtu));
        return ethernet;
    }

    private static YamlMappingNode Route(string to, string via) => new() { { "to", Yaml.Str(to) }, { "via", Yaml.Str(via) } };

    private static int? PrefixLength(string? cidr) =>
        cidr?.Split('/') is [_, var p] && int.TryParse(p, out var length) ? length : null;

    /// <summary>The host's address on an IPv6 prefix: the first one (prefix::1), as for IPv4.</summary>
    public static string? FirstAddress(string? prefix)
    {
        if (prefix?.Split('/') is not [var a, _] || !IPAddress.TryParse(a, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6) return null;
        var bytes = ip.GetAddressBytes();
        bytes[15] |= 1;
        return new IPAddress(bytes).ToString();
    }
}
