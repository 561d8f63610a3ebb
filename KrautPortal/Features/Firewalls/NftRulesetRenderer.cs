using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using KrautPortal.Hypervisor.Routers;

namespace KrautPortal.Features.Firewalls;

/// <summary>
/// Renders a resolved firewall as one nftables file for the router: Kraut's table <c>inet kraut</c>, created empty,
/// deleted and defined again, so <c>nft -f</c> replaces it in one transaction and never touches the owner's own tables.
/// Every rule carries <c>counter comment "kraut:…"</c> (<see cref="NftCounters"/> reads them back). Deterministic: only
/// invariant formatting and the input's order, so a preview and an apply of the same input agree by hash.
/// </summary>
public sealed partial class NftRulesetRenderer : IRulesetRenderer
{
    public const string Table = "inet kraut";

    private enum Family { V4, V6 }

    public RenderedRuleset Render(RouterLegs legs, ResolvedFirewall firewall)
    {
        var up = Interface(legs.UpstreamInterface);
        var inner = Interface(legs.InnerInterface);
        var spec = firewall.Spec;
        var notes = new List<string>();
        if (spec is null) notes.Add("No firewall is attached to this network: only the default policies apply (inbound deny, outbound allow).");
        spec ??= new FirewallSpec();

        var declarations = new StringBuilder();
        var input = new List<string>();
        var forward = new List<string>();
        var prerouting = new List<string>();
        var postrouting = new List<string>();

        RenderInput(input, declarations, up, firewall.GeekModeSourceCidrs, notes);

        forward.Add("ct state established,related counter accept comment \"kraut:base:established\"");
        forward.Add("ct state invalid counter drop comment \"kraut:base:invalid\"");
        foreach (var f in spec.Forwards.Where(f => f.Enabled))
            RenderForward(f, firewall, legs, up, inner, forward, prerouting, notes);
        foreach (var rule in spec.Rules.Where(r => r.Enabled))
            RenderRule(rule, firewall, up, inner, declarations, forward, notes);
        forward.Add($"iifname {up} oifname {inner} counter {Verdict(spec.Defaults.Inbound, RuleProtocol.Any)} comment \"kraut:default:inbound\"");
        forward.Add($"iifname {inner} oifname {up} counter {Verdict(spec.Defaults.Outbound, RuleProtocol.Any)} comment \"kraut:default:outbound\"");

        if (legs.InnerIpv4Cidr is { } cidr && FirewallAddresses.TryParse(cidr, out var subnet, out _) && subnet.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
            postrouting.Add($"oifname {up} ip saddr {subnet} counter masquerade comment \"kraut:nat:masquerade\"");
        else notes.Add("The network has no IPv4 subnet: nothing is masqueraded.");

        var text = new StringBuilder();
        text.Append("table ").Append(Table).Append('\n');
        text.Append("delete table ").Append(Table).Append('\n');
        text.Append("table ").Append(Table).Append(" {\n");
        text.Append(declarations);
        Chain(text, "input", "type filter hook input priority filter; policy drop;", input);
        Chain(text, "forward", "type filter hook forward priority filter; policy drop;", forward);
        Chain(text, "prerouting", "type nat hook prerouting priority dstnat; policy accept;", prerouting);
        Chain(text, "postrouting", "type nat hook postrouting priority srcnat; policy accept;", postrouting);
        text.Append("}\n");
        var ruleset = text.ToString();
        return new RenderedRuleset(ruleset, RulesetHash.Of(ruleset), notes);
    }

    private static void Chain(StringBuilder text, string name, string hook, List<string> rules)
    {
        text.Append("\tchain ").Append(name).Append(" {\n\t\t").Append(hook).Append('\n');
        foreach (var rule in rules) text.Append("\t\t").Append(rule).Append('\n');
        text.Append("\t}\n");
    }

    /// <summary>The router itself: return traffic, loopback, the ICMP it needs (neighbour discovery), its DHCP answers, and geek mode's SSH.</summary>
    private static void RenderInput(List<string> input, StringBuilder declarations, string up, IReadOnlyList<string> geekCidrs, List<string> notes)
    {
        input.Add("ct state established,related counter accept comment \"kraut:base:established\"");
        input.Add("ct state invalid counter drop comment \"kraut:base:invalid\"");
        input.Add("iifname \"lo\" counter accept comment \"kraut:base:loopback\"");
        input.Add("meta l4proto icmp icmp type { destination-unreachable, echo-request, parameter-problem, time-exceeded } counter accept comment \"kraut:base:icmp\"");
        input.Add("meta l4proto ipv6-icmp icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem, echo-request, "
            + "nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } counter accept comment \"kraut:base:icmpv6\"");
        input.Add("udp sport 67 udp dport 68 counter accept comment \"kraut:base:dhcp\"");
        input.Add("udp sport 547 udp dport 546 counter accept comment \"kraut:base:dhcpv6\"");
        if (geekCidrs.Count == 0) return;

        var networks = new List<IPNetwork>();
        foreach (var text in geekCidrs)
        {
            if (FirewallAddresses.TryParse(text, out var network, out var problem)) networks.Add(network);
            else notes.Add("Geek mode: " + problem + " Left out.");
        }
        foreach (var family in new[] { Family.V4, Family.V6 })
        {
            var elements = networks.Where(n => Of(n.BaseAddress) == family).ToList();
            if (elements.Count == 0) continue;
            var name = "geek" + Suffix(family);
            Set(declarations, name, family, elements);
            input.Add($"iifname {up} {AddressKeyword(family)} saddr @{name} tcp dport 22 counter accept comment \"kraut:base:geek-ssh\"");
        }
    }

    /// <summary>A port forward: DNAT on the upstream leg, and the DNATed connection let through whatever the rules say.</summary>
    private static void RenderForward(PortForward f, ResolvedFirewall firewall, RouterLegs legs, string up, string inner,
        List<string> forward, List<string> prerouting, List<string> notes)
    {
        var protocol = f.Protocol == RuleProtocol.Udp ? "udp" : "tcp";
        var what = string.Create(CultureInfo.InvariantCulture, $"Forward {f.Id} ({protocol} {f.UpstreamPort} → VM {f.VmId} port {f.Port})");
        if (!firewall.ForwardTargets.TryGetValue(f.VmId, out var target) || target is null)
        {
            notes.Add(what + ": the VM has no IPv4 address on this network yet; left out until it has one.");
            return;
        }
        if (target.AddressFamily != AddressFamily.InterNetwork)
        {
            notes.Add(what + ": forwards reach IPv4 addresses only; left out.");
            return;
        }
        var destination = legs.UpstreamIpv4 is { } upstream && IPAddress.TryParse(upstream.Split('/')[0], out var address)
            && address.AddressFamily == AddressFamily.InterNetwork ? $" ip daddr {address}" : "";
        prerouting.Add(string.Create(CultureInfo.InvariantCulture,
            $"iifname {up}{destination} {protocol} dport {f.UpstreamPort} counter dnat ip to {target}:{f.Port} comment \"kraut:fwd:{f.Id}:dnat\""));
        forward.Add(string.Create(CultureInfo.InvariantCulture,
            $"iifname {up} oifname {inner} ct status dnat ip daddr {target} {protocol} dport {f.Port} counter accept comment \"kraut:fwd:{f.Id}\""));
    }

    private static void RenderRule(FirewallRule rule, ResolvedFirewall firewall, string up, string inner, StringBuilder declarations,
        List<string> forward, List<string> notes)
    {
        var id = rule.Id.ToString("N");
        var path = rule.Direction == RuleDirection.Inbound ? $"iifname {up} oifname {inner}" : $"iifname {inner} oifname {up}";
        var source = Side(rule.Sources, rule.SourceSelector, firewall);
        var destination = Side(rule.Destinations, rule.DestinationSelector, firewall);

        var families = new List<Family?>();
        if (source is null && destination is null)
        {
            families.Add(null);
        }
        else
        {
            foreach (var family in new[] { Family.V4, Family.V6 })
            {
                if (rule.Protocol == RuleProtocol.Icmp && family == Family.V6) continue;
                if (rule.Protocol == RuleProtocol.Icmpv6 && family == Family.V4) continue;
                if ((source is null || source.Allows(family)) && (destination is null || destination.Allows(family))) families.Add(family);
            }
            if (families.Count == 0) notes.Add($"Rule {rule.Id}: its addresses leave no address family a packet could have; left out.");
        }

        var protocol = Protocol(rule);
        var verdict = Verdict(rule.Action, rule.Protocol);
        foreach (var family in families)
        {
            var matches = new StringBuilder(path);
            if (family is { } f)
            {
                if (source is not null) matches.Append(CultureInfo.InvariantCulture, $" {AddressKeyword(f)} saddr @{SetFor(declarations, $"r_{id}_s", f, source)}");
                if (destination is not null) matches.Append(CultureInfo.InvariantCulture, $" {AddressKeyword(f)} daddr @{SetFor(declarations, $"r_{id}_d", f, destination)}");
            }
            if (protocol.Length > 0) matches.Append(' ').Append(protocol);
            var match = matches.ToString();

            if (rule.Action == RuleAction.Allow && rule.RateLimit is { } limit)
            {
                if (limit.NewConnectionsPerSecond is { } perSecond)
                {
                    var burst = limit.Burst ?? perSecond;
                    foreach (var meterFamily in family is { } one ? [one] : new[] { Family.V4, Family.V6 })
                    {
                        var meter = $"rl_{id}_{Suffix(meterFamily)}";
                        declarations.Append(CultureInfo.InvariantCulture,
                            $"\tset {meter} {{\n\t\ttype {AddressType(meterFamily)}\n\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout 1m\n\t}}\n");
                        var nfproto = family is null ? $" meta nfproto {(meterFamily == Family.V4 ? "ipv4" : "ipv6")}" : "";
                        forward.Add(string.Create(CultureInfo.InvariantCulture,
                            $"{match}{nfproto} ct state new update @{meter} {{ {AddressKeyword(meterFamily)} saddr limit rate over {perSecond}/second burst {burst} packets }} counter drop comment \"kraut:{rule.Id}:limit\""));
                    }
                }
                if (limit.PacketsPerSecond is { } packets)
                {
                    var name = $"lp_{id}";
                    if (family != Family.V6 || families.Count == 1)
                        declarations.Append(CultureInfo.InvariantCulture, $"\tlimit {name} {{\n\t\trate over {packets}/second\n\t}}\n");
                    forward.Add($"{match} limit name \"{name}\" counter drop comment \"kraut:{rule.Id}:limit\"");
                }
                if (limit.BytesPerSecond is { } bytes)
                {
                    var name = $"lb_{id}";
                    if (family != Family.V6 || families.Count == 1)
                        declarations.Append(CultureInfo.InvariantCulture, $"\tlimit {name} {{\n\t\trate over {bytes} bytes/second\n\t}}\n");
                    forward.Add($"{match} limit name \"{name}\" counter drop comment \"kraut:{rule.Id}:limit\"");
                }
            }
            forward.Add($"{match} counter {verdict} comment \"kraut:{rule.Id}\"");
        }
    }

    /// <summary>One side of a rule (sources or destinations): its CIDRs and its selector's addresses; null when it is "any".</summary>
    private sealed record AddressSide(List<IPNetwork> Networks, bool HasSelector)
    {
        public bool Allows(Family family) => HasSelector || Networks.Any(n => Of(n.BaseAddress) == family);
    }

    private static AddressSide? Side(IReadOnlyList<string> cidrs, string? selector, ResolvedFirewall firewall)
    {
        if (cidrs.Count == 0 && selector is null) return null;
        var networks = new List<IPNetwork>();
        foreach (var text in cidrs)
            if (FirewallAddresses.TryParse(text, out var network, out _)) networks.Add(network);
        if (selector is not null && firewall.SelectorAddresses.TryGetValue(selector, out var addresses))
            networks.AddRange(addresses.Select(a => new IPNetwork(a, a.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)));
        return new AddressSide(networks, selector is not null);
    }

    /// <summary>Declares the named set of one rule side and family (an empty set is valid nft; an empty anonymous one is not).</summary>
    private static string SetFor(StringBuilder declarations, string prefix, Family family, AddressSide side)
    {
        var name = prefix + Suffix(family);
        Set(declarations, name, family, side.Networks.Where(n => Of(n.BaseAddress) == family));
        return name;
    }

    private static void Set(StringBuilder declarations, string name, Family family, IEnumerable<IPNetwork> networks)
    {
        var elements = networks.Distinct()
            .OrderBy(n => n.BaseAddress.GetAddressBytes(), ByteOrder.Instance).ThenBy(n => n.PrefixLength)
            .Select(FirewallAddresses.Canonical).ToList();
        declarations.Append(CultureInfo.InvariantCulture, $"\tset {name} {{\n\t\ttype {AddressType(family)}\n\t\tflags interval\n\t\tauto-merge\n");
        if (elements.Count > 0) declarations.Append("\t\telements = { ").AppendJoin(", ", elements).Append(" }\n");
        declarations.Append("\t}\n");
    }

    private static string Protocol(FirewallRule rule) => rule.Protocol switch
    {
        RuleProtocol.Tcp or RuleProtocol.Udp when rule.Ports.Count > 0 =>
            $"{Name(rule.Protocol)} dport {(rule.Ports.Count == 1 ? rule.Ports[0] : "{ " + string.Join(", ", rule.Ports) + " }")}",
        RuleProtocol.Tcp or RuleProtocol.Udp => $"meta l4proto {Name(rule.Protocol)}",
        RuleProtocol.Icmp => "meta l4proto icmp",
        RuleProtocol.Icmpv6 => "meta l4proto ipv6-icmp",
        _ => "",
    };

    private static string Name(RuleProtocol protocol) => protocol == RuleProtocol.Udp ? "udp" : "tcp";

    private static string Verdict(RuleAction action, RuleProtocol protocol) => action switch
    {
        RuleAction.Allow => "accept",
        RuleAction.Reject when protocol == RuleProtocol.Tcp => "reject with tcp reset",
        RuleAction.Reject => "reject with icmpx type admin-prohibited",
        _ => "drop",
    };

    private static Family Of(IPAddress address) => address.AddressFamily == AddressFamily.InterNetwork ? Family.V4 : Family.V6;
    private static string Suffix(Family family) => family == Family.V4 ? "4" : "6";
    private static string AddressKeyword(Family family) => family == Family.V4 ? "ip" : "ip6";
    private static string AddressType(Family family) => family == Family.V4 ? "ipv4_addr" : "ipv6_addr";

    /// <summary>Interface names come from the router feature, never from users; still, nothing but a plain name goes into the file.</summary>
    private static string Interface(string name) =>
        InterfaceName().IsMatch(name) ? $"\"{name}\"" : throw new ArgumentException($"'{name}' is not an interface name.", nameof(name));

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,15}$")]
    private static partial Regex InterfaceName();

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y)
        {
            if (x is null || y is null) return (x is null ? 0 : 1) - (y is null ? 0 : 1);
            if (x.Length != y.Length) return x.Length.CompareTo(y.Length);
            for (var i = 0; i < x.Length; i++)
                if (x[i] != y[i]) return x[i].CompareTo(y[i]);
            return 0;
        }
    }
}
