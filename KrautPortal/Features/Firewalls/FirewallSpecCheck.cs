using System.Net.Sockets;
using KrautPortal.Features.Store;
using KrautPortal.Features.Store.Selectors;

namespace KrautPortal.Features.Firewalls;

/// <summary>
/// What a firewall spec must be on its own, before anything it names is looked up: well-formed rules and forwards,
/// within limits. Gives missing ids and returns the spec in canonical form (ports, addresses, selectors), so what is
/// stored is what is rendered.
/// </summary>
public static class FirewallSpecCheck
{
    public const int MaxRules = 1000;
    public const int MaxForwards = 256;
    public const int MaxNetworks = 64;
    public const int MaxPortsPerRule = 64;
    public const int MaxAddressesPerSide = 256;
    public const int MaxCommentLength = 200;
    public const int MaxDescriptionLength = 2000;
    public const int MaxNewConnectionsPerSecond = 100_000;
    public const int MaxBurst = 100_000;
    public const long MaxPacketsPerSecond = 100_000_000;
    /// <summary>10 GB/s: the kernel refuses byte limits from about 1.8e10 up (its token bucket counts in nanoseconds).</summary>
    public const long MaxBytesPerSecond = 10_000_000_000;

    public static FirewallSpec Check(FirewallSpec spec, ValidationErrors errors)
    {
        // JSON may say null where the record has an empty list.
        spec = spec with { NetworkIds = spec.NetworkIds ?? [], Rules = spec.Rules ?? [], Forwards = spec.Forwards ?? [] };
        if (spec.Rules.Count > MaxRules) errors.Add("spec.rules", $"A firewall may have at most {MaxRules} rules (this one has {spec.Rules.Count}).");
        if (spec.Forwards.Count > MaxForwards) errors.Add("spec.forwards", $"A firewall may have at most {MaxForwards} port forwards (this one has {spec.Forwards.Count}).");
        if (spec.NetworkIds.Count > MaxNetworks) errors.Add("spec.networkIds", $"A firewall may be attached to at most {MaxNetworks} networks.");
        if (spec.Description?.Length > MaxDescriptionLength) errors.Add("spec.description", $"At most {MaxDescriptionLength} characters.");
        for (var i = 0; i < spec.NetworkIds.Count; i++)
        {
            if (spec.NetworkIds[i] == Guid.Empty) errors.Add($"spec.networkIds[{i}]", "Name a network by its id.");
            else if (spec.NetworkIds.Take(i).Contains(spec.NetworkIds[i])) errors.Add($"spec.networkIds[{i}]", "This network is listed twice.");
        }
        if (spec.Defaults is null) errors.Add("spec.defaults", "Give the default policies (or leave the field out).");

        var rules = spec.Rules.Select((rule, i) => CheckRule(rule, $"spec.rules[{i}]", errors)).ToList();
        Duplicates(rules.Select(r => r.Id), "spec.rules", "Rule", errors);
        var forwards = spec.Forwards.Select((forward, i) => CheckForward(forward, $"spec.forwards[{i}]", errors)).ToList();
        Duplicates(forwards.Select(f => f.Id), "spec.forwards", "Forward", errors);
        for (var i = 0; i < forwards.Count; i++)
        {
            var f = forwards[i];
            if (forwards.Take(i).Any(o => o.Protocol == f.Protocol && o.UpstreamPort == f.UpstreamPort))
                errors.Add($"spec.forwards[{i}].upstreamPort", $"Upstream port {f.UpstreamPort}/{f.Protocol.ToString().ToLowerInvariant()} is forwarded twice.");
        }
        return spec with
        {
            Defaults = spec.Defaults ?? new DefaultPolicies(),
            Rules = rules,
            Forwards = forwards,
            Description = string.IsNullOrWhiteSpace(spec.Description) ? null : spec.Description,
        };
    }

    private static void Duplicates(IEnumerable<Guid> ids, string field, string what, ValidationErrors errors)
    {
        var list = ids.ToList();
        for (var i = 0; i < list.Count; i++)
            if (list.Take(i).Contains(list[i])) errors.Add($"{field}[{i}].id", $"{what} id {list[i]} appears more than once.");
    }

    private static FirewallRule CheckRule(FirewallRule rule, string at, ValidationErrors errors)
    {
        if (rule is null)
        {
            errors.Add(at, "A rule may not be null.");
            return new FirewallRule { Id = Guid.CreateVersion7() };
        }
        rule = rule with { Ports = rule.Ports ?? [], Sources = rule.Sources ?? [], Destinations = rule.Destinations ?? [] };
        Defined(rule.Direction, $"{at}.direction", errors);
        Defined(rule.Action, $"{at}.action", errors);
        Defined(rule.Protocol, $"{at}.protocol", errors);

        var ports = new List<string>();
        if (rule.Ports.Count > MaxPortsPerRule) errors.Add($"{at}.ports", $"At most {MaxPortsPerRule} ports or ranges per rule.");
        for (var j = 0; j < rule.Ports.Count; j++)
        {
            if (rule.Protocol is not (RuleProtocol.Tcp or RuleProtocol.Udp))
            {
                errors.Add($"{at}.ports[{j}]", $"Ports need protocol tcp or udp, not {rule.Protocol.ToString().ToLowerInvariant()}.");
                continue;
            }
            if (FirewallAddresses.TryParsePorts(rule.Ports[j], out var range, out var problem)) ports.Add(FirewallAddresses.Canonical(range));
            else errors.Add($"{at}.ports[{j}]", problem);
        }

        var sources = Addresses(rule.Sources, $"{at}.sources", rule.Protocol, errors, out var sourceFamilies);
        var destinations = Addresses(rule.Destinations, $"{at}.destinations", rule.Protocol, errors, out var destinationFamilies);
        var sourceSelector = CheckSelector(rule.SourceSelector, $"{at}.sourceSelector", errors);
        var destinationSelector = CheckSelector(rule.DestinationSelector, $"{at}.destinationSelector", errors);
        if (sourceFamilies.Count > 0 && destinationFamilies.Count > 0 && sourceSelector is null && destinationSelector is null
            && !sourceFamilies.Overlaps(destinationFamilies))
            errors.Add($"{at}.destinations", "Sources and destinations are of different address families (IPv4 and IPv6): no packet can match both.");

        if (rule.Comment?.Length > MaxCommentLength) errors.Add($"{at}.comment", $"At most {MaxCommentLength} characters.");
        var rateLimit = CheckRateLimit(rule.RateLimit, rule.Action, $"{at}.rateLimit", errors);
        return rule with
        {
            Id = rule.Id == Guid.Empty ? Guid.CreateVersion7() : rule.Id,
            Ports = ports,
            Sources = sources,
            Destinations = destinations,
            SourceSelector = sourceSelector,
            DestinationSelector = destinationSelector,
            RateLimit = rateLimit,
            Comment = string.IsNullOrWhiteSpace(rule.Comment) ? null : rule.Comment,
        };
    }

    private static List<string> Addresses(IReadOnlyList<string> texts, string at, RuleProtocol protocol, ValidationErrors errors, out HashSet<AddressFamily> families)
    {
        families = [];
        var canonical = new List<string>();
        if (texts.Count > MaxAddressesPerSide) errors.Add(at, $"At most {MaxAddressesPerSide} addresses or CIDRs here; use a selector for many VMs.");
        for (var j = 0; j < texts.Count; j++)
        {
            if (!FirewallAddresses.TryParse(texts[j], out var network, out var problem))
            {
                errors.Add($"{at}[{j}]", problem);
                continue;
            }
            var family = network.BaseAddress.AddressFamily;
            if (protocol == RuleProtocol.Icmp && family == AddressFamily.InterNetworkV6)
                errors.Add($"{at}[{j}]", $"'{texts[j]}' is IPv6, but ICMP is IPv4's; use protocol icmpv6 for IPv6.");
            else if (protocol == RuleProtocol.Icmpv6 && family == AddressFamily.InterNetwork)
                errors.Add($"{at}[{j}]", $"'{texts[j]}' is IPv4, but ICMPv6 is IPv6's; use protocol icmp for IPv4.");
            families.Add(family);
            canonical.Add(FirewallAddresses.Canonical(network));
        }
        return canonical;
    }

    private static string? CheckSelector(string? text, string at, ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            SelectorParser.Parse(text);
        }
        catch (SelectorParseException e)
        {
            errors.Add(at, e.Message + $" (in \"{text}\")");
        }
        return text.Trim();
    }

    private static RateLimitSpec? CheckRateLimit(RateLimitSpec? limit, RuleAction action, string at, ValidationErrors errors)
    {
        if (limit is null || limit is { NewConnectionsPerSecond: null, Burst: null, PacketsPerSecond: null, BytesPerSecond: null }) return null;
        if (action != RuleAction.Allow) errors.Add(at, "A rate limit caps what a rule lets through: it needs action allow.");
        Within(limit.NewConnectionsPerSecond, 1, MaxNewConnectionsPerSecond, $"{at}.newConnectionsPerSecond", errors);
        Within(limit.Burst, 1, MaxBurst, $"{at}.burst", errors);
        Within(limit.PacketsPerSecond, 1, MaxPacketsPerSecond, $"{at}.packetsPerSecond", errors);
        Within(limit.BytesPerSecond, 1, MaxBytesPerSecond, $"{at}.bytesPerSecond", errors);
        if (limit.Burst is not null && limit.NewConnectionsPerSecond is null)
            errors.Add($"{at}.burst", "A burst belongs to newConnectionsPerSecond; give that too.");
        return limit;
    }

    private static void Within(long? value, long min, long max, string at, ValidationErrors errors)
    {
        if (value is { } v && (v < min || v > max))
            errors.Add(at, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Must be between {min} and {max}, not {v}."));
    }

    private static void Defined<T>(T value, string at, ValidationErrors errors) where T : struct, Enum
    {
        if (!Enum.IsDefined(value)) errors.Add(at, $"Use one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
    }

    private static PortForward CheckForward(PortForward forward, string at, ValidationErrors errors)
    {
        if (forward is null)
        {
            errors.Add(at, "A forward may not be null.");
            return new PortForward { Id = Guid.CreateVersion7() };
        }
        if (forward.Protocol is not (RuleProtocol.Tcp or RuleProtocol.Udp))
            errors.Add($"{at}.protocol", $"A forward is tcp or udp, not {forward.Protocol.ToString().ToLowerInvariant()}.");
        if (forward.UpstreamPort is < 1 or > 65535) errors.Add($"{at}.upstreamPort", $"Ports are 1 to 65535, not {forward.UpstreamPort}.");
        if (forward.Port is < 1 or > 65535) errors.Add($"{at}.port", $"Ports are 1 to 65535, not {forward.Port}.");
        if (forward.VmId == Guid.Empty) errors.Add($"{at}.vmId", "Name the VM to forward to by its id.");
        if (forward.Comment?.Length > MaxCommentLength) errors.Add($"{at}.comment", $"At most {MaxCommentLength} characters.");
        return forward with
        {
            Id = forward.Id == Guid.Empty ? Guid.CreateVersion7() : forward.Id,
            Comment = string.IsNullOrWhiteSpace(forward.Comment) ? null : forward.Comment,
        };
    }
}
