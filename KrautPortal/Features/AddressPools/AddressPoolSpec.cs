namespace KrautPortal.Features.AddressPools;

/// <summary>
/// Address ranges an administrator lets people use for their networks. Whom a pool serves is its owner: a user,
/// a group (all its members), or <c>shared</c> (everyone: the default pool).
/// </summary>
public sealed record AddressPoolSpec
{
    /// <summary>IPv4 ranges in CIDR form; a network's subnet must lie inside one of them.</summary>
    public IReadOnlyList<string> Ipv4 { get; init; } = [];

    /// <summary>IPv6 ranges in CIDR form; a network's prefix must lie inside one of them.</summary>
    public IReadOnlyList<string> Ipv6 { get; init; } = [];

    public string? Description { get; init; }
}

public sealed record AddressPoolStatus;
