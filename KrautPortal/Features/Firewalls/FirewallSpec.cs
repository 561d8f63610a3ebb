namespace KrautPortal.Features.Firewalls;

/// <summary>
/// Which traffic a rule looks at, as seen from the router of a network the firewall is attached to:
/// <see cref="Inbound"/> enters from the router's upstream leg towards the network's guests (or the router itself);
/// <see cref="Outbound"/> leaves the network's guests towards upstream.
/// </summary>
public enum RuleDirection { Inbound, Outbound }

/// <summary><see cref="Deny"/> drops silently; <see cref="Reject"/> answers (TCP reset, ICMP unreachable).</summary>
public enum RuleAction { Allow, Deny, Reject }

public enum RuleProtocol { Any, Tcp, Udp, Icmp, Icmpv6 }

/// <summary>
/// A limit on what a rule lets through. <see cref="NewConnectionsPerSecond"/> counts new connections per source
/// address (with <see cref="Burst"/>); <see cref="PacketsPerSecond"/> and <see cref="BytesPerSecond"/> cap the rule as
/// a whole. Traffic over the limit is dropped.
/// </summary>
public sealed record RateLimitSpec
{
    public int? NewConnectionsPerSecond { get; init; }
    public int? Burst { get; init; }
    public long? PacketsPerSecond { get; init; }
    public long? BytesPerSecond { get; init; }
}

/// <summary>
/// One filter rule. Empty lists mean "any". A selector (<c>role=web</c>) stands for the current addresses of the
/// firewall owner's VMs whose metadata match it, and follows them as VMs, NICs and metadata change.
/// </summary>
public sealed record FirewallRule
{
    /// <summary>Stable across edits and reorders; Kraut picks one when empty. Counters are reported per id.</summary>
    public Guid Id { get; init; }
    public RuleDirection Direction { get; init; } = RuleDirection.Inbound;
    public RuleAction Action { get; init; } = RuleAction.Allow;
    public RuleProtocol Protocol { get; init; } = RuleProtocol.Tcp;

    /// <summary>Destination ports and ranges: <c>"80"</c>, <c>"8000-8080"</c>; only with tcp or udp.</summary>
    public IReadOnlyList<string> Ports { get; init; } = [];

    /// <summary>Source CIDRs or addresses, IPv4 or IPv6.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];
    public IReadOnlyList<string> Destinations { get; init; } = [];
    public string? SourceSelector { get; init; }
    public string? DestinationSelector { get; init; }
    public RateLimitSpec? RateLimit { get; init; }
    public string? Comment { get; init; }
    public bool Enabled { get; init; } = true;
}

/// <summary>DNAT: a port on the router's upstream address published to a port of one of the owner's VMs on the network.</summary>
public sealed record PortForward
{
    public Guid Id { get; init; }

    /// <summary>Tcp or Udp only.</summary>
    public RuleProtocol Protocol { get; init; } = RuleProtocol.Tcp;
    public int UpstreamPort { get; init; }

    /// <summary>The VM (by id; the forward follows its address on the network).</summary>
    public Guid VmId { get; init; }
    public int Port { get; init; }
    public string? Comment { get; init; }
    public bool Enabled { get; init; } = true;
}

/// <summary>What happens to traffic no rule matched. Return traffic of allowed connections always passes (stateful).</summary>
public sealed record DefaultPolicies
{
    public RuleAction Inbound { get; init; } = RuleAction.Deny;
    public RuleAction Outbound { get; init; } = RuleAction.Allow;
}

/// <summary>
/// An ordered rule set and port forwards, enforced by the router of every network in <see cref="NetworkIds"/>
/// (a network has at most one firewall). Every version is kept; a revert changes what the routers enforce.
/// </summary>
public sealed record FirewallSpec
{
    public IReadOnlyList<Guid> NetworkIds { get; init; } = [];
    public DefaultPolicies Defaults { get; init; } = new();
    public IReadOnlyList<FirewallRule> Rules { get; init; } = [];
    public IReadOnlyList<PortForward> Forwards { get; init; } = [];
    public string? Description { get; init; }
}

/// <summary>
/// A firewall's own status stays small: what is in force is the router's to say (each router's status names the
/// firewall version and ruleset hash it runs), so one object has one status writer.
/// </summary>
public sealed record FirewallStatus
{
    public long ObservedVersion { get; init; }
}
