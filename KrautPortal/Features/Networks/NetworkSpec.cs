namespace KrautPortal.Features.Networks;

public enum NetworkMode { Isolated, Nat }
public enum NetworkPhase { Pending, Active, Failed, Deleting }

/// <summary>A layer-2 network with one IPv4 subnet; the host's bridge holds the first address and serves DHCP.</summary>
public sealed record NetworkSpec
{
    public NetworkMode Mode { get; init; } = NetworkMode.Isolated;
    public required string Ipv4Cidr { get; init; }
    public bool Dhcp { get; init; } = true;
    public string? Description { get; init; }
}

public sealed record NetworkStatus
{
    public NetworkPhase Phase { get; init; } = NetworkPhase.Pending;
    public string? LibvirtName { get; init; }
    public string? Bridge { get; init; }
    public long ObservedVersion { get; init; }
    public string? Message { get; init; }
}
