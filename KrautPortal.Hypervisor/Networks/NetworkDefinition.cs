namespace KrautPortal.Hypervisor;

/// <summary>Everything <see cref="NetworkXml.Build"/> needs to write a libvirt network.</summary>
/// <param name="ForwardMode">none (isolated), nat or route.</param>
/// <param name="Ipv4Address">The host's address on the bridge; null for no IPv4 at all.</param>
/// <param name="Hosts">DHCP reservations, MAC to IP.</param>
/// <param name="Domain">DNS domain dnsmasq answers for, local only.</param>
public sealed record NetworkDefinition(
    string Name,
    Guid? Uuid,
    string ForwardMode,
    string? Ipv4Address,
    int Ipv4Prefix,
    string? DhcpStart,
    string? DhcpEnd,
    IReadOnlyList<DhcpHost> Hosts,
    string? Domain = null,
    int? Mtu = null)
{
    /// <summary>The host's IPv6 address on the bridge and the DHCPv6 reservations; without reservations libvirt's dnsmasq only sends RAs (SLAAC).</summary>
    public Ipv6Definition? Ipv6 { get; init; }

    /// <summary>
    /// Raw dnsmasq options passed through libvirt's dnsmasq namespace, for what libvirt's XML cannot say
    /// (router, DNS servers, classless routes). One option per entry, without the leading dashes.
    /// </summary>
    public IReadOnlyList<string> DnsmasqOptions { get; init; } = [];
}

/// <param name="Address">The host's address on the bridge (it sends the RAs).</param>
/// <param name="Hosts">DHCPv6 reservations; empty means SLAAC only.</param>
public sealed record Ipv6Definition(string Address, int Prefix, IReadOnlyList<DhcpHost> Hosts);
