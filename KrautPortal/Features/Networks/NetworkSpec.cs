namespace KrautPortal.Features.Networks;

public enum NetworkPhase { Pending, Active, Failed, Deleting }

/// <summary>How guests get IPv4 addresses: from the host's DHCP (with a reservation per NIC), or configured by Kraut.</summary>
public enum Ipv4Mode { Dhcp, Static }

/// <summary>How guests get IPv6 addresses: router advertisements (SLAAC), stateful DHCPv6 (with reservations), or configured by Kraut.</summary>
public enum Ipv6Mode { Slaac, Dhcpv6, Static }

/// <summary>
/// Who routes for the network: nobody (isolated: guests reach each other and the host), the host (optionally with
/// NAT to its uplink), a fixed address (e.g. a router reached over VXLAN), or one of the owner's VMs' NICs.
/// </summary>
public enum GatewayKind { None, Host, Address, Vm }

public sealed record GatewaySpec
{
    public GatewayKind Kind { get; init; } = GatewayKind.None;

    /// <summary>For <see cref="GatewayKind.Host"/>: masquerade guests' traffic out of the host's uplink.</summary>
    public bool Nat { get; init; }

    /// <summary>For <see cref="GatewayKind.Address"/>: the router's IPv4 address, inside the subnet.</summary>
    public string? Address { get; init; }

    /// <summary>For <see cref="GatewayKind.Vm"/>: the VM and its NIC on this network that routes.</summary>
    public Guid? VmId { get; init; }
    public Guid? NicId { get; init; }
}

/// <summary>An extra route pushed to guests: <c>10.9.0.0/16 via 10.20.0.5</c>.</summary>
public sealed record RouteSpec(string Destination, string Via);

/// <summary>An outside connection: a VXLAN segment bridged into the network on every host.</summary>
public sealed record VxlanSpec
{
    public required int Vni { get; init; }

    /// <summary>Unicast remote VTEPs (head-end replication); or use <see cref="Group"/>.</summary>
    public IReadOnlyList<string> Remotes { get; init; } = [];

    /// <summary>A multicast group instead of remotes.</summary>
    public string? Group { get; init; }

    public int Port { get; init; } = 4789;

    /// <summary>The host interface VXLAN runs over; default: the one with the default route.</summary>
    public string? Device { get; init; }
}

/// <summary>A layer-2 network: an IPv4 subnet and/or an IPv6 prefix, how guests are addressed, and who routes.</summary>
public sealed record NetworkSpec
{
    public string? Ipv4Cidr { get; init; }
    public Ipv4Mode Ipv4Mode { get; init; } = Ipv4Mode.Dhcp;

    /// <summary>A /64 (SLAAC needs exactly 64 bits of host part).</summary>
    public string? Ipv6Prefix { get; init; }
    public Ipv6Mode Ipv6Mode { get; init; } = Ipv6Mode.Slaac;

    public GatewaySpec Gateway { get; init; } = new();
    public IReadOnlyList<string> DnsServers { get; init; } = [];
    public string? DnsDomain { get; init; }
    public int? Mtu { get; init; }
    public IReadOnlyList<RouteSpec> Routes { get; init; } = [];

    /// <summary>Addresses (or ranges <c>a-b</c>) Kraut never hands out, e.g. for devices outside Kraut.</summary>
    public IReadOnlyList<string> Excluded { get; init; } = [];

    public VxlanSpec? Vxlan { get; init; }
    public string? Description { get; init; }
}

public sealed record NetworkLease(string Mac, string Address, string? Hostname, DateTime? ExpiresAt);

public sealed record NetworkStatus
{
    public NetworkPhase Phase { get; init; } = NetworkPhase.Pending;
    public string? LibvirtName { get; init; }
    public string? Bridge { get; init; }
    public long ObservedVersion { get; init; }

    /// <summary>DHCP leases the host's dnsmasq handed out, as last seen.</summary>
    public IReadOnlyList<NetworkLease> Leases { get; init; } = [];

    /// <summary>The VXLAN link bridged into the network, as last seen; null when the network has none.</summary>
    public VxlanStatus? Vxlan { get; init; }

    /// <summary>The hosts this network spans (VMs on two or more hosts: one L2 segment over VXLAN), each with its link as last seen.</summary>
    public IReadOnlyList<Span.HostSpanLink> Span { get; init; } = [];

    /// <summary>Why the network is not (fully) working: a failed host, a gateway VM that went away.</summary>
    public string? Message { get; init; }
}
