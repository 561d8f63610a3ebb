using System.Net;

namespace KrautPortal.Features.Firewalls;

/// <summary>
/// The router's two legs as the agent sees them inside the guest: NIC order is fixed by the domain (upstream first),
/// so the interface names are too.
/// </summary>
public sealed record RouterLegs(
    string UpstreamInterface,
    string InnerInterface,
    string? InnerIpv4Cidr,
    string? InnerIpv6Prefix,
    string? UpstreamIpv4,
    string? UpstreamIpv6);

/// <summary>
/// A firewall with everything it refers to resolved to addresses at one moment: selectors to the matching VMs'
/// addresses, forwards to their target VM's address on the network (null: no address yet, the forward is left out
/// and a note says so). <see cref="Spec"/> null: no firewall attached, default policies only.
/// </summary>
public sealed record ResolvedFirewall(
    FirewallSpec? Spec,
    IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> SelectorAddresses,
    IReadOnlyDictionary<Guid, IPAddress?> ForwardTargets,
    IReadOnlyList<string> GeekModeSourceCidrs);

/// <summary>One complete nftables ruleset (Kraut's own table only) and what could not be rendered.</summary>
public sealed record RenderedRuleset(string Text, string Hash, IReadOnlyList<string> Notes);

/// <summary>Deterministic: the same input gives the same bytes, so preview and apply agree by hash.</summary>
public interface IRulesetRenderer
{
    RenderedRuleset Render(RouterLegs legs, ResolvedFirewall firewall);
}
