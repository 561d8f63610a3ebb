using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;

namespace KrautPortal.Hypervisor;

/// <summary>Builds and reads back libvirt network XML with System.Xml.Linq.</summary>
public static class NetworkXml
{
    private static readonly XNamespace Dnsmasq = "http://libvirt.org/schemas/network/dnsmasq/1.0";

    public static string Build(NetworkDefinition n) => BuildElement(n).ToString();

    /// <summary>
    /// The definition without its reservations, as XML: two definitions with the same shape differ only in
    /// reservations, which <see cref="LibvirtNetwork.UpdateDhcpHost"/> changes without a restart.
    /// Whether there are IPv6 reservations at all is part of the shape: libvirt gives dnsmasq a DHCPv6 range only
    /// when the network starts with one, and a reservation added live reaches the hostsfile while dnsmasq keeps
    /// sending RAs only ("ra-only") and never answers DHCPv6. (For IPv4 libvirt restarts dnsmasq itself.)
    /// </summary>
    public static string Shape(NetworkDefinition n)
    {
        var shape = BuildElement(n with { Hosts = [], Ipv6 = n.Ipv6 is null ? null : n.Ipv6 with { Hosts = [] } });
        if (n.Ipv6 is { Hosts.Count: > 0 })
        {
            shape.Elements("ip").Single(ip => (string?)ip.Attribute("family") == "ipv6").Add(new XElement("dhcp"));
        }

        return shape.ToString();
    }

    /// <summary>The &lt;host&gt; element libvirt expects in virNetworkUpdate for one reservation.</summary>
    public static string BuildHost(DhcpHost host, bool ipv6) => HostElement(host, ipv6).ToString();

    /// <summary>Reads back what <see cref="Build"/> writes from the XML libvirt reports; everything else is ignored.</summary>
    public static NetworkDefinition Parse(string xml)
    {
        var root = XElement.Parse(xml);
        var ips = root.Elements("ip").ToList();
        var v4 = ips.FirstOrDefault(ip => (string?)ip.Attribute("family") is null or "ipv4");
        var v6 = ips.FirstOrDefault(ip => (string?)ip.Attribute("family") == "ipv6");
        var range = v4?.Element("dhcp")?.Element("range");
        return new NetworkDefinition(
            Name: root.Element("name")?.Value ?? "",
            Uuid: Guid.TryParse(root.Element("uuid")?.Value, out var uuid) ? uuid : null,
            ForwardMode: (string?)root.Element("forward")?.Attribute("mode") ?? "none",
            Ipv4Address: Canonical((string?)v4?.Attribute("address")),
            Ipv4Prefix: PrefixOf(v4),
            DhcpStart: Canonical((string?)range?.Attribute("start")),
            DhcpEnd: Canonical((string?)range?.Attribute("end")),
            Hosts: ParseHosts(v4, ipv6: false),
            Domain: (string?)root.Element("domain")?.Attribute("name"),
            Mtu: (int?)root.Element("mtu")?.Attribute("size"))
        {
            Ipv6 = v6 is null ? null : new Ipv6Definition(Canonical((string?)v6.Attribute("address"))!, PrefixOf(v6), ParseHosts(v6, ipv6: true)),
            DnsmasqOptions = root.Element(Dnsmasq + "options")?.Elements(Dnsmasq + "option")
                .Select(o => (string?)o.Attribute("value") ?? "").ToList() ?? [],
        };
    }

    private static XElement BuildElement(NetworkDefinition n)
    {
        ArgumentNullException.ThrowIfNull(n);
        ArgumentException.ThrowIfNullOrWhiteSpace(n.Name);
        if (n.ForwardMode is not ("none" or "nat" or "route"))
        {
            throw new ArgumentException($"Forward mode must be none, nat or route, not '{n.ForwardMode}'.", nameof(n));
        }

        foreach (var option in n.DnsmasqOptions)
        {
            // libvirt writes each option as one line of dnsmasq's config: a line break would smuggle in another option.
            if (string.IsNullOrWhiteSpace(option) || option.Any(char.IsControl))
            {
                throw new ArgumentException($"Not a single dnsmasq option: '{option}'.", nameof(n));
            }
        }

        return new XElement("network",
            n.DnsmasqOptions.Count == 0 ? null : new XAttribute(XNamespace.Xmlns + "dnsmasq", Dnsmasq.NamespaceName),
            new XElement("name", n.Name),
            n.Uuid is { } uuid ? new XElement("uuid", uuid.ToString("D")) : null,
            // No <forward> at all is libvirt's isolated network: guests reach each other and the host only.
            n.ForwardMode == "none" ? null : new XElement("forward", new XAttribute("mode", n.ForwardMode)),
            // Bridge name left to libvirt (virbrN), which picks a free one; delay 0 lets guests use the link at once.
            new XElement("bridge", new XAttribute("stp", "on"), new XAttribute("delay", 0)),
            n.Mtu is { } mtu ? new XElement("mtu", new XAttribute("size", mtu)) : null,
            n.Domain is { } domain
                ? new XElement("domain", new XAttribute("name", domain), new XAttribute("localOnly", "yes"))
                : null,
            Ipv4(n),
            Ipv6(n.Ipv6),
            n.DnsmasqOptions.Count == 0
                ? null
                : new XElement(Dnsmasq + "options", n.DnsmasqOptions.Select(o => new XElement(Dnsmasq + "option", new XAttribute("value", o)))));
    }

    private static XElement? Ipv4(NetworkDefinition n)
    {
        if (n.Ipv4Address is null)
        {
            return null;
        }

        RequireIpv4(n.Ipv4Address);
        ArgumentOutOfRangeException.ThrowIfLessThan(n.Ipv4Prefix, 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n.Ipv4Prefix, 30);

        var ip = new XElement("ip",
            new XAttribute("address", n.Ipv4Address),
            new XAttribute("prefix", n.Ipv4Prefix));

        if (n.DhcpStart is null != n.DhcpEnd is null)
        {
            throw new ArgumentException("Give both DHCP start and end, or neither.", nameof(n));
        }

        // Without a range libvirt runs dnsmasq's DHCP in static mode: only reserved MACs get an address.
        if (n.DhcpStart is null && n.Hosts.Count == 0)
        {
            return ip;
        }

        var dhcp = new XElement("dhcp");
        if (n.DhcpStart is not null && n.DhcpEnd is not null)
        {
            RequireIpv4(n.DhcpStart);
            RequireIpv4(n.DhcpEnd);
            dhcp.Add(new XElement("range", new XAttribute("start", n.DhcpStart), new XAttribute("end", n.DhcpEnd)));
        }

        dhcp.Add(n.Hosts.Select(h => HostElement(h, ipv6: false)));
        ip.Add(dhcp);
        return ip;
    }

    private static XElement? Ipv6(Ipv6Definition? v6)
    {
        if (v6 is null)
        {
            return null;
        }

        RequireIpv6(v6.Address);
        ArgumentOutOfRangeException.ThrowIfLessThan(v6.Prefix, 48);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(v6.Prefix, 120);
        // An <ip> without <dhcp> makes libvirt's dnsmasq send RAs only (SLAAC); with reservations it serves
        // stateful DHCPv6 in static mode and its RAs carry the managed flag.
        return new XElement("ip",
            new XAttribute("family", "ipv6"),
            new XAttribute("address", v6.Address),
            new XAttribute("prefix", v6.Prefix),
            v6.Hosts.Count == 0 ? null : new XElement("dhcp", v6.Hosts.Select(h => HostElement(h, ipv6: true))));
    }

    private static XElement HostElement(DhcpHost host, bool ipv6)
    {
        if (ipv6)
        {
            RequireIpv6(host.Ip);
        }
        else
        {
            RequireIpv4(host.Ip);
        }

        // libvirt refuses a MAC in IPv6 host entries; the DUID-LL carries the same MAC.
        return new XElement("host",
            ipv6 ? new XAttribute("id", host.DuidLl) : new XAttribute("mac", host.Mac.ToLowerInvariant()),
            host.Name is null ? null : new XAttribute("name", host.Name),
            new XAttribute("ip", host.Ip));
    }

    private static List<DhcpHost> ParseHosts(XElement? ip, bool ipv6) =>
        ip?.Element("dhcp")?.Elements("host").Select(h => new DhcpHost(
            ipv6 ? MacOfDuid((string?)h.Attribute("id")) : ((string?)h.Attribute("mac") ?? "").ToLowerInvariant(),
            Canonical((string?)h.Attribute("ip")) ?? "",
            (string?)h.Attribute("name"))).ToList() ?? [];

    /// <summary>The MAC inside a DUID-LL; any other DUID is kept whole so it still compares unequal to every reservation.</summary>
    private static string MacOfDuid(string? duid) =>
        duid is not null && duid.StartsWith("00:03:00:01:", StringComparison.OrdinalIgnoreCase) ? duid[12..].ToLowerInvariant() : duid ?? "";

    private static int PrefixOf(XElement? ip) =>
        (int?)ip?.Attribute("prefix") ?? (ip?.Attribute("netmask") is { } mask && IPAddress.TryParse(mask.Value, out var m)
            ? m.GetAddressBytes().Sum(b => System.Numerics.BitOperations.PopCount(b))
            : 0);

    private static string? Canonical(string? address) =>
        address is not null && IPAddress.TryParse(address, out var ip) ? ip.ToString() : address;

    private static void RequireIpv4(string address)
    {
        // IPAddress.TryParse alone also accepts shorthand like "10.1"; libvirt wants dotted quads.
        if (address.Count(c => c == '.') != 3
            || !IPAddress.TryParse(address, out var ip)
            || ip.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"Not an IPv4 address: '{address}'.", nameof(address));
        }
    }

    private static void RequireIpv6(string address)
    {
        if (!address.Contains(':', StringComparison.Ordinal)
            || !IPAddress.TryParse(address, out var ip)
            || ip.AddressFamily != AddressFamily.InterNetworkV6
            || ip.ScopeId != 0)
        {
            throw new ArgumentException($"Not an IPv6 address: '{address}'.", nameof(address));
        }
    }
}
