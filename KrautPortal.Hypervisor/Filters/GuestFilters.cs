using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;

namespace KrautPortal.Hypervisor;

/// <summary>
/// The network filters Kraut puts on every guest NIC, so a guest on a shared bridge can only speak as itself: its own
/// MAC, its own IPv4 address (in IP packets and in ARP), its own IPv6 address or prefix, and never as a DHCP or
/// DHCPv6 server or an IPv6 router. Modelled on libvirt's clean-traffic, which fits no Kraut network as shipped: it
/// drops all IPv6 and lets a guest answer DHCP. A network's gateway VM routes, so its NIC keeps only the MAC checks.
/// </summary>
public static class GuestFilters
{
    public const string Guest = "kraut-guest";
    public const string Gateway = "kraut-gateway";

    /// <summary>The guest's IPv4 address (one), IPv6 address or prefix and that prefix's length; MAC is libvirt's own.</summary>
    public const string Ipv4Parameter = "IP";
    public const string Ipv6Parameter = "IPV6";
    public const string Ipv6MaskParameter = "IPV6MASK";

    /// <summary>
    /// The filter for an ordinary guest NIC. <paramref name="ipv4"/> null: the NIC has no IPv4 address, so it may send
    /// IPv4 only as a DHCP client, unless <paramref name="learnIpv4From"/> names the DHCP server whose lease it may
    /// use (libvirt learns the address from that server's answer: NICs from before Kraut reserved every address).
    /// <paramref name="ipv6"/> is an address (128) or a SLAAC prefix (its length); null: link-local only.
    /// </summary>
    public static NicFilter ForGuest(string? ipv4, string? ipv6, int ipv6PrefixLength = 128, string? learnIpv4From = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ipv6PrefixLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ipv6PrefixLength, 128);
        var parameters = new List<KeyValuePair<string, string>>();
        if (ipv4 is null && learnIpv4From is not null)
        {
            parameters.Add(new("CTRL_IP_LEARNING", "dhcp"));
            parameters.Add(new("DHCPSERVER", ParseAddress(learnIpv4From, AddressFamily.InterNetwork).ToString()));
        }
        else
        {
            parameters.Add(new(Ipv4Parameter, ipv4 is null ? "0.0.0.0" : ParseAddress(ipv4, AddressFamily.InterNetwork).ToString()));
        }
        parameters.Add(new(Ipv6Parameter, ipv6 is null ? "::" : ParseAddress(ipv6, AddressFamily.InterNetworkV6).ToString()));
        parameters.Add(new(Ipv6MaskParameter, (ipv6 is null ? 128 : ipv6PrefixLength).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return new NicFilter(Guest, parameters);
    }

    /// <summary>The filter for the NIC of a network's gateway VM: it routes other hosts' packets and sends router advertisements.</summary>
    public static NicFilter ForGateway() => new(Gateway, []);

    /// <summary>Every filter, each after the ones it references, as libvirt wants to define them.</summary>
    public static IReadOnlyList<XElement> Definitions { get; } =
    [
        Filter("kraut-no-mac-spoofing", "mac", -800,
            Rule("return", "out", 500, new XElement("mac", new XAttribute("srcmacaddr", "$MAC"))),
            Rule("drop", "out", 1000)),

        // Replies from UDP port 67 are a DHCP server's: dnsmasq on the host is the only one a guest may hear.
        Filter("kraut-no-ip-spoofing", "ipv4-ip", -710,
            Rule("drop", "out", 100, new XElement("ip", new XAttribute("protocol", "udp"), new XAttribute("srcportstart", 67))),
            Rule("return", "out", 200, new XElement("ip",
                new XAttribute("srcipaddr", "0.0.0.0"), new XAttribute("protocol", "udp"), new XAttribute("srcportstart", 68), new XAttribute("dstportstart", 67))),
            Rule("return", "out", 500, new XElement("ip", new XAttribute("srcipaddr", "$IP"))),
            Rule("drop", "out", 1000)),

        Filter("kraut-no-arp-mac-spoofing", "arp-mac", -520,
            Rule("return", "out", 350, new XElement("arp", new XAttribute("arpsrcmacaddr", "$MAC"))),
            Rule("drop", "out", 1000)),

        // A sender address 0.0.0.0 is an ARP probe (RFC 5227): it claims nothing, and DHCP clients send them.
        Filter("kraut-no-arp-ip-spoofing", "arp-ip", -510,
            Rule("return", "out", 400, new XElement("arp", new XAttribute("arpsrcipaddr", "$IP"))),
            Rule("return", "out", 410, new XElement("arp", new XAttribute("arpsrcipaddr", "0.0.0.0"))),
            Rule("drop", "out", 1000)),

        // UDP port 547 is a DHCPv6 server's (or relay's) source port; ICMPv6 134 is a router advertisement, 137 a redirect.
        // Link-local and unspecified (duplicate address detection) sources are every IPv6 host's.
        Filter("kraut-no-ipv6-spoofing", "ipv6-ip", -610,
            Rule("drop", "out", 100, new XElement("ipv6", new XAttribute("protocol", "udp"), new XAttribute("srcportstart", 547))),
            Rule("drop", "out", 110, new XElement("ipv6", new XAttribute("protocol", "icmpv6"), new XAttribute("type", 134))),
            Rule("drop", "out", 120, new XElement("ipv6", new XAttribute("protocol", "icmpv6"), new XAttribute("type", 137))),
            Rule("return", "out", 300, new XElement("ipv6", new XAttribute("srcipaddr", "fe80::"), new XAttribute("srcipmask", 10))),
            Rule("return", "out", 310, new XElement("ipv6", new XAttribute("srcipaddr", "::"), new XAttribute("srcipmask", 128))),
            Rule("return", "out", 500, new XElement("ipv6", new XAttribute("srcipaddr", "$IPV6"), new XAttribute("srcipmask", "$IPV6MASK"))),
            Rule("drop", "out", 1000)),

        Filter(Guest, "root", null,
            Ref("kraut-no-mac-spoofing"),
            Ref("kraut-no-ip-spoofing"),
            Ref("kraut-no-arp-mac-spoofing"),
            Ref("kraut-no-arp-ip-spoofing"),
            Ref("kraut-no-ipv6-spoofing"),
            // What the chains above let through (both directions: nothing is filtered on the way in).
            Rule("accept", "inout", -650, new XElement("mac", new XAttribute("protocolid", "ipv4"))),
            Rule("accept", "inout", -640, new XElement("mac", new XAttribute("protocolid", "ipv6"))),
            Rule("accept", "inout", -500, new XElement("mac", new XAttribute("protocolid", "arp"))),
            // Everything else at layer 2 (VLAN tags, RARP, raw ethertypes) is no guest's business on a shared bridge.
            Rule("drop", "inout", 1000)),

        Filter(Gateway, "root", null,
            Ref("kraut-no-mac-spoofing"),
            Ref("kraut-no-arp-mac-spoofing")),
    ];

    /// <summary>
    /// Defines every filter that is missing or differs from <see cref="Definitions"/>, keeping an existing one's UUID
    /// (libvirt refuses a redefinition under another UUID). Returns the names it (re)defined; none when all are current.
    /// </summary>
    public static IReadOnlyList<string> Ensure(LibvirtConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        // Two builders finding a filter missing would both define it, the second under a new UUID, which libvirt refuses.
        lock (EnsureLock) return EnsureLocked(connection);
    }

    private static readonly Lock EnsureLock = new();

    private static List<string> EnsureLocked(LibvirtConnection connection)
    {
        var defined = new List<string>();
        foreach (var wanted in Definitions)
        {
            var name = (string)wanted.Attribute("name")!;
            using var existing = connection.FindNwFilter(name);
            var current = existing is null ? null : XElement.Parse(existing.GetXml());
            if (current is not null && Canonical(current) == Canonical(wanted)) continue;
            var definition = new XElement(wanted);
            if (current?.Element("uuid") is { } uuid) definition.AddFirst(new XElement(uuid));
            using (connection.DefineNwFilter(definition.ToString())) { }
            defined.Add(name);
        }
        return defined;
    }

    /// <summary>A filter's rules as text, independent of attribute order, whitespace and libvirt's UUID.</summary>
    internal static string Canonical(XElement element) =>
        element.Name.LocalName == "uuid" ? "" :
        "<" + element.Name.LocalName
            + string.Concat(element.Attributes().OrderBy(a => a.Name.LocalName, StringComparer.Ordinal).Select(a => $" {a.Name.LocalName}='{a.Value}'"))
            + ">" + string.Concat(element.Elements().Select(Canonical)) + "</>";

    /// <param name="priority">Where the chain is jumped to from root; null for root itself.</param>
    private static XElement Filter(string name, string chain, int? priority, params XElement[] content) =>
        new("filter", new XAttribute("name", name), new XAttribute("chain", chain), priority is { } p ? new XAttribute("priority", p) : null, content);

    private static XElement Rule(string action, string direction, int priority, XElement? match = null) =>
        new("rule", new XAttribute("action", action), new XAttribute("direction", direction), new XAttribute("priority", priority), match);

    private static XElement Ref(string filter) => new("filterref", new XAttribute("filter", filter));

    private static IPAddress ParseAddress(string text, AddressFamily family) =>
        IPAddress.TryParse(text, out var ip) && ip.AddressFamily == family && (family == AddressFamily.InterNetwork || ip.ScopeId == 0)
            ? ip
            : throw new ArgumentException($"Not an {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address: '{text}'.", nameof(text));
}
