using KrautPortal.Features.Networks;
using KrautPortal.Hypervisor.Routers;

namespace KrautPortal.Features.Firewalls;

/// <summary>
/// What firewalls need to know about the router of a network: its legs (for rendering), what it runs now, its counters
/// and how its last apply went. Routers sit above firewalls, so the router feature answers this (docs/architecture.md);
/// with none registered, or no router on a network, every answer is null.
/// </summary>
public interface IRouterRulesets
{
    /// <summary>The router on <paramref name="networkId"/> as rendering needs it, or null when the network has none.</summary>
    Task<RouterTarget?> RouterOnAsync(Guid networkId, CancellationToken ct);

    /// <summary>What the router's agent reports as loaded; null when there is no router or nothing loaded yet.
    /// An unreachable agent throws (<see cref="RouterAgentException"/>, <see cref="IOException"/>, <see cref="TimeoutException"/>).</summary>
    Task<LoadedRuleset?> LoadedAsync(Guid networkId, CancellationToken ct);

    /// <summary><c>nft -j list table inet kraut</c> from the router (see <see cref="NftCounters.Parse"/>); null when there is no router.</summary>
    Task<string?> CountersJsonAsync(Guid networkId, CancellationToken ct);

    /// <summary>How the router's last apply went; null when there is no router.</summary>
    Task<RouterApplyStatus?> StatusAsync(Guid networkId, CancellationToken ct);
}

/// <summary>A router as rendering sees it: which router record, its legs, and geek mode's SSH sources (empty: SSH refused).</summary>
public sealed record RouterTarget(Guid RouterId, RouterLegs Legs, IReadOnlyList<string> GeekModeSourceCidrs);

/// <summary>The apply state of one router, as its status says (RouterStatus, flattened for firewall readers).</summary>
public sealed record RouterApplyStatus(
    Guid RouterId,
    string Name,
    string Phase,
    Guid? FirewallId,
    long? DesiredFirewallVersion,
    string? DesiredHash,
    long? AppliedFirewallVersion,
    string? AppliedHash,
    DateTime? AppliedAt,
    string? ApplyError,
    IReadOnlyList<string> HandMadeTables,
    bool GeekModeActive,
    string? Message);

/// <summary>The interface names inside a router (NIC order is fixed: upstream first) and the legs of a network without a router yet.</summary>
public static class DefaultLegs
{
    public const string Upstream = "eth0";
    public const string Inner = "eth1";

    /// <summary>Legs for previewing a network's ruleset before its router has addresses: the network's own ranges, no upstream address.</summary>
    public static RouterLegs For(NetworkSpec network) => new(Upstream, Inner, network.Ipv4Cidr, network.Ipv6Prefix, null, null);
}
