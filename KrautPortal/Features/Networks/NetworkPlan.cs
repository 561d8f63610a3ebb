using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Networks;

/// <summary>
/// What a Kraut network becomes in libvirt: the bridge addresses, DHCP/DHCPv6 reservations from the NICs on it,
/// and the dnsmasq options libvirt's XML has no words for. Pure: the same spec and members give the same definition.
/// </summary>
/// <param name="Notes">What could not be realised as asked, for <see cref="NetworkStatus.Message"/>.</param>
public sealed partial record NetworkPlan(NetworkDefinition Definition, IReadOnlyList<string> Notes)
{
    public static NetworkPlan For(Guid networkId, string libvirtName, NetworkSpec spec, IReadOnlyList<NetworkMember> members)
    {
        var notes = new List<string>();
        var options = new List<string>();
        var router = Router(spec, members, notes);

        string? hostIpv4 = null;
        var prefix4 = 0;
        string? rangeStart = null, rangeEnd = null;
        var hosts4 = new List<DhcpHost>();
        if (Ipv4Subnet.TryParse(spec.Ipv4Cidr, out var subnet, out var problem))
        {
            prefix4 = subnet.Prefix;
            hostIpv4 = HostIpv4(subnet, spec.Gateway.Kind);
            if (spec.Ipv4Mode == Ipv4Mode.Dhcp)
            {
                hosts4 = UniqueNames(members.Where(m => m.Nic.Mac is not null && IsIpv4(m.Nic.Ipv4Address))
                    .Select(m => new DhcpHost(m.Nic.Mac!.ToLowerInvariant(), IPAddress.Parse(m.Nic.Ipv4Address!).ToString(), HostName(m))));
                // IPAM gives every NIC an address, and then dnsmasq serves reservations only. A NIC without one
                // (made before IPAM) still gets a lease from the upper half, so it is not left without an address.
                if (members.Any(m => m.Nic.Ipv4Address is null))
                {
                    rangeStart = Ipv4(subnet.Network + Math.Max(2, subnet.Size / 2));
                    rangeEnd = Ipv4(subnet.Network + subnet.Size - 3);
                }
                options.AddRange(Ipv4Options(spec, router, hostIpv4, notes));
            }
        }
        else if (spec.Ipv4Cidr is not null)
        {
            notes.Add($"IPv4 is not set up: {problem}");
        }

        var v6 = Ipv6(spec, members, notes);
        if (v6 is not null) options.AddRange(Ipv6Options(spec));
        // With an address or a VM as gateway the host's RAs carry router lifetime 0 (libvirt's isolated network):
        // an RA can only name its sender as router, so the IPv6 default route comes from the gateway's own RAs.

        var domain = spec.DnsDomain is { } d && DomainName().IsMatch(d) ? d : null;
        if (spec.DnsDomain is not null && domain is null) notes.Add($"The DNS domain '{spec.DnsDomain}' is not a valid domain name and is not announced.");

        var definition = new NetworkDefinition(
            Name: libvirtName,
            Uuid: networkId,
            ForwardMode: spec.Gateway.Kind == GatewayKind.Host ? (spec.Gateway.Nat ? "nat" : "route") : "none",
            Ipv4Address: hostIpv4,
            Ipv4Prefix: prefix4,
            DhcpStart: rangeStart,
            DhcpEnd: rangeEnd,
            Hosts: hosts4,
            Domain: domain,
            Mtu: spec.Mtu)
        {
            Ipv6 = v6,
            DnsmasqOptions = options,
        };
        return new NetworkPlan(definition, notes);
    }

    /// <summary>
    /// The host's address on the bridge, as agreed with IPAM: the first usable address, or the last one when a
    /// router (an address or a VM) is the gateway, so the router can keep the conventional first address.
    /// </summary>
    public static string HostIpv4(Ipv4Subnet subnet, GatewayKind gateway) =>
        gateway is GatewayKind.Address or GatewayKind.Vm ? Ipv4(subnet.Network + subnet.Size - 2) : Ipv4(subnet.Network + 1);

    /// <summary>The IPv4 address guests should route through, or null for none (isolated) or the host (libvirt's default).</summary>
    private static string? Router(NetworkSpec spec, IReadOnlyList<NetworkMember> members, List<string> notes)
    {
        var gateway = spec.Gateway;
        switch (gateway.Kind)
        {
            case GatewayKind.Address:
                if (IsIpv4(gateway.Address)) return gateway.Address;
                notes.Add($"The gateway address '{gateway.Address}' is not an IPv4 address; no default route is announced.");
                return null;
            case GatewayKind.Vm:
                var nic = members.FirstOrDefault(m => m.VmId == gateway.VmId && m.Nic.Id == gateway.NicId);
                if (nic is null)
                {
                    notes.Add(members.Any(m => m.VmId == gateway.VmId)
                        ? $"The gateway NIC {gateway.NicId} is no longer on this network; guests get no default route."
                        : $"The gateway VM {gateway.VmId} no longer exists; guests get no default route.");
                    return null;
                }
                if (nic.VmDeleting) notes.Add($"The gateway VM '{nic.VmName}' is being deleted.");
                if (IsIpv4(nic.Nic.Ipv4Address)) return nic.Nic.Ipv4Address;
                notes.Add($"The gateway VM '{nic.VmName}' has no IPv4 address on this network yet; guests get no default route.");
                return null;
            case GatewayKind.None:
                return RouterVm(members, notes);
            default:
                return null;
        }
    }

    /// <summary>
    /// A network without a gateway of its own may have a router (a hidden router VM, one leg here): guests route through
    /// that leg. One that is being deleted is no longer announced, so leases renewed meanwhile do not point at it.
    /// </summary>
    private static string? RouterVm(IReadOnlyList<NetworkMember> members, List<string> notes)
    {
        var legs = members.Where(m => m.Nic.RoutesNetwork).ToList();
        if (legs.Count == 0) return null;
        if (legs.FirstOrDefault(m => !m.VmDeleting) is not { } leg)
        {
            notes.Add("The network's router is being removed; guests get no default route.");
            return null;
        }
        if (IsIpv4(leg.Nic.Ipv4Address)) return leg.Nic.Ipv4Address;
        notes.Add("The network's router has no IPv4 address on this network yet; guests get no default route.");
        return null;
    }

    private static IEnumerable<string> Ipv4Options(NetworkSpec spec, string? router, string hostIpv4, List<string> notes)
    {
        // libvirt already makes isolated networks announce no router (an empty option 3); a later option wins in dnsmasq.
        if (router is not null) yield return $"dhcp-option=option:router,{router}";
        var dns4 = spec.DnsServers.Where(IsIpv4).ToList();
        if (dns4.Count > 0) yield return "dhcp-option=option:dns-server," + string.Join(',', dns4);
        if (spec.DnsDomain is { } domain && DomainName().IsMatch(domain)) yield return $"dhcp-option=option:domain-search,{domain}";

        var routes = new List<string>();
        foreach (var route in spec.Routes)
        {
            if (TryIpv4Cidr(route.Destination, out var destination) && IsIpv4(route.Via)) routes.Add($"{destination},{route.Via}");
            else if (!route.Destination.Contains(':', StringComparison.Ordinal)) notes.Add($"The route {route.Destination} via {route.Via} is not a valid IPv4 route and is not announced.");
            else notes.Add($"The IPv6 route {route.Destination} is not announced: neither RAs nor DHCPv6 from the host carry routes.");
        }
        if (routes.Count > 0)
        {
            // A client that takes option 121 ignores option 3 (RFC 3442), so the default route goes in too.
            var defaultVia = router ?? (spec.Gateway.Kind == GatewayKind.Host ? hostIpv4 : null);
            if (defaultVia is not null) routes.Insert(0, $"0.0.0.0/0,{defaultVia}");
            yield return "dhcp-option=option:classless-static-route," + string.Join(',', routes);
        }
    }

    private static Ipv6Definition? Ipv6(NetworkSpec spec, IReadOnlyList<NetworkMember> members, List<string> notes)
    {
        if (spec.Ipv6Prefix is null) return null;
        var parts = spec.Ipv6Prefix.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var network) || network.AddressFamily != AddressFamily.InterNetworkV6
            || !int.TryParse(parts[1], out var length) || length is < 48 or > 120)
        {
            notes.Add($"IPv6 is not set up: '{spec.Ipv6Prefix}' is not an IPv6 prefix.");
            return null;
        }
        if (spec.Ipv6Mode == Ipv6Mode.Slaac && length != 64) notes.Add("SLAAC needs a /64; guests will not configure addresses from this prefix.");
        // The host takes the prefix's first address, as agreed with IPAM.
        var host = new IPAddress(BytesOf(BinaryPrimitives.ReadUInt128BigEndian(network.GetAddressBytes()) + 1)).ToString();
        var hosts = spec.Ipv6Mode == Ipv6Mode.Dhcpv6
            // Without names: dnsmasq looks reservations up by the client's host name too, and would find the
            // IPv4 one of the same name (which has no IPv6 address) before this one. The IPv4 one names the host.
            ? members.Where(m => m.Nic.Mac is not null && IsIpv6(m.Nic.Ipv6Address))
                .Select(m => new DhcpHost(m.Nic.Mac!.ToLowerInvariant(), IPAddress.Parse(m.Nic.Ipv6Address!).ToString())).ToList()
            : [];
        return new Ipv6Definition(host, length, hosts);
    }

    private static IEnumerable<string> Ipv6Options(NetworkSpec spec)
    {
        var dns6 = spec.DnsServers.Where(IsIpv6).Select(a => $"[{IPAddress.Parse(a)}]").ToList();
        if (dns6.Count > 0) yield return "dhcp-option=option6:dns-server," + string.Join(',', dns6);
        if (spec.DnsDomain is { } domain && DomainName().IsMatch(domain)) yield return $"dhcp-option=option6:domain-search,{domain}";
    }

    /// <summary>
    /// libvirt refuses a reservation whose name another one already has (a VM's second NIC on the network, or two
    /// VMs with one host name); the first keeps the name, the others go without.
    /// </summary>
    private static List<DhcpHost> UniqueNames(IEnumerable<DhcpHost> hosts)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return hosts.Select(h => h.Name is null || seen.Add(h.Name) ? h : h with { Name = null }).ToList();
    }

    /// <summary>A DNS label for the reservation: the VM's host name, or its name, reduced to what dnsmasq's hosts file can hold.</summary>
    private static string? HostName(NetworkMember member)
    {
        var raw = (member.Hostname is { Length: > 0 } h ? h : member.VmName).ToLowerInvariant();
        var label = new string(raw.Select(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '-').ToArray()).Trim('-');
        if (label.Length > 63) label = label[..63].TrimEnd('-');
        return label.Length == 0 ? null : label;
    }

    private static bool IsIpv4(string? text) =>
        text is not null && text.Count(c => c == '.') == 3 && IPAddress.TryParse(text, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork;

    private static bool IsIpv6(string? text) =>
        text is not null && text.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(text, out var ip)
        && ip.AddressFamily == AddressFamily.InterNetworkV6 && ip.ScopeId == 0;

    /// <summary>A route destination such as 10.9.0.0/16 (any prefix 0-32), with host bits cleared.</summary>
    private static bool TryIpv4Cidr(string text, out string cidr)
    {
        cidr = "";
        var parts = text.Split('/');
        if (parts.Length != 2 || !IsIpv4(parts[0]) || !int.TryParse(parts[1], out var length) || length is < 0 or > 32) return false;
        var b = IPAddress.Parse(parts[0]).GetAddressBytes();
        var value = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
        var mask = length == 0 ? 0u : uint.MaxValue << (32 - length);
        cidr = $"{Ipv4(value & mask)}/{length}";
        return true;
    }

    private static string Ipv4(uint value) => new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]).ToString();

    private static byte[] BytesOf(UInt128 value)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, value);
        return bytes;
    }

    [GeneratedRegex(@"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$", RegexOptions.IgnoreCase)]
    private static partial Regex DomainName();
}
