namespace KrautPortal.Features.Routers;

/// <summary>SSH into the router for its owner: their profile keys, from these source CIDRs, on the upstream address.</summary>
public sealed record GeekModeSpec
{
    public bool Enabled { get; init; }
    public IReadOnlyList<string> SourceCidrs { get; init; } = [];
}

/// <summary>
/// A router for one network: a small VM Kraut builds and keeps running (a system object, not among the owner's VMs)
/// with one leg on <see cref="NetworkId"/> and one upstream. Switching a network's router on creates this record;
/// switching it off deletes it.
/// </summary>
public sealed record RouterSpec
{
    public required Guid NetworkId { get; init; }

    /// <summary>Another network of the owner to route to; null: Kraut's uplink network, NATed by the host.</summary>
    public Guid? UpstreamNetworkId { get; init; }
    public GeekModeSpec GeekMode { get; init; } = new();
    public string? Description { get; init; }
}

public enum RouterPhase { Pending, Building, Starting, Applying, Active, Failed, Deleting }

/// <summary>
/// What the router reconciler last saw. A ruleset is "desired" once rendered from the firewall (and the addresses its
/// selectors and forwards resolve to) and "applied" once the router's agent answered with the hash of what it loaded.
/// </summary>
public sealed record RouterStatus
{
    public RouterPhase Phase { get; init; } = RouterPhase.Pending;
    public long ObservedVersion { get; init; }

    /// <summary>The hidden system VM that is the router.</summary>
    public Guid? VmId { get; init; }

    /// <summary>The router's address on its network (guests' gateway), and on its upstream leg.</summary>
    public string? Address { get; init; }
    public string? UpstreamAddress { get; init; }
    public Guid? UpstreamNetworkId { get; init; }

    public Guid? FirewallId { get; init; }
    public long? DesiredFirewallVersion { get; init; }
    public string? DesiredHash { get; init; }
    public long? AppliedFirewallVersion { get; init; }
    public string? AppliedHash { get; init; }
    public DateTime? AppliedAt { get; init; }

    /// <summary>Why the last ruleset was refused (the previous one stays in force), or null.</summary>
    public string? ApplyError { get; init; }

    /// <summary>nftables tables on the router that are not Kraut's: the owner's own rules (geek mode). Never drift.</summary>
    public IReadOnlyList<string> HandMadeTables { get; init; } = [];
    public bool GeekModeActive { get; init; }
    public string? Message { get; init; }
    public DateTime? ObservedAt { get; init; }
}
