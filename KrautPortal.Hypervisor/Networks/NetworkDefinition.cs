namespace KrautPortal.Hypervisor;

/// <summary>Everything <see cref="NetworkXml.Build"/> needs to write a libvirt network.</summary>
/// <param name="ForwardMode">none (isolated), nat or route.</param>
/// <param name="Ipv4Address">The host's address on the bridge (the guests' gateway); null for no IP at all.</param>
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
    int? Mtu = null);
