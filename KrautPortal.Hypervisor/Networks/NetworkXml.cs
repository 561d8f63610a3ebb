using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;

namespace KrautPortal.Hypervisor;

/// <summary>Builds libvirt network XML with System.Xml.Linq.</summary>
public static class NetworkXml
{
    public static string Build(NetworkDefinition n)
    {
        ArgumentNullException.ThrowIfNull(n);
        ArgumentException.ThrowIfNullOrWhiteSpace(n.Name);
        if (n.ForwardMode is not ("none" or "nat" or "route"))
        {
            throw new ArgumentException($"Forward mode must be none, nat or route, not '{n.ForwardMode}'.", nameof(n));
        }

        var network = new XElement("network",
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
            Ip(n));

        return network.ToString();
    }

    private static XElement? Ip(NetworkDefinition n)
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

        foreach (var host in n.Hosts)
        {
            RequireIpv4(host.Ip);
            dhcp.Add(new XElement("host",
                new XAttribute("mac", host.Mac.ToLowerInvariant()),
                host.Name is null ? null : new XAttribute("name", host.Name),
                new XAttribute("ip", host.Ip)));
        }

        ip.Add(dhcp);
        return ip;
    }

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
}
