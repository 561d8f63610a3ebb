namespace KrautPortal.Features.Firewalls.Pages;

/// <summary>A firewall as lines people read (one per rule, forward and policy), so the Review step's diff says what changes.</summary>
public static class RuleText
{
    public static string Of(FirewallSpec? spec, Func<Guid, string> networkName, Func<Guid, string> vmName)
    {
        ArgumentNullException.ThrowIfNull(networkName);
        ArgumentNullException.ThrowIfNull(vmName);
        if (spec is null) return "";
        var lines = new List<string>
        {
            $"networks: {(spec.NetworkIds.Count == 0 ? "none" : string.Join(", ", spec.NetworkIds.Select(networkName)))}",
            $"inbound default: {Word(spec.Defaults.Inbound)}",
            $"outbound default: {Word(spec.Defaults.Outbound)}",
        };
        lines.AddRange(spec.Rules.Select((r, i) => $"rule {i + 1}: {Of(r)}"));
        lines.AddRange(spec.Forwards.Select(f =>
            $"forward {Word(f.Protocol)} upstream :{f.UpstreamPort} → {vmName(f.VmId)}:{f.Port}{(f.Enabled ? "" : " (off)")}{(f.Comment is { } c ? $" — {c}" : "")}"));
        return string.Join('\n', lines);
    }

    public static string Of(FirewallRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var from = string.Join(", ", [.. rule.Sources, .. rule.SourceSelector is { } s ? new[] { $"VMs {s}" } : []]);
        var to = string.Join(", ", [.. rule.Destinations, .. rule.DestinationSelector is { } d ? new[] { $"VMs {d}" } : []]);
        var ports = rule.Ports.Count == 0 ? "" : $" port {string.Join(",", rule.Ports)}";
        var limit = rule.RateLimit is { NewConnectionsPerSecond: { } n } r ? $" at most {n} new/s{(r.Burst is { } b ? $" burst {b}" : "")}" : "";
        return $"{Word(rule.Direction)} {Word(rule.Action)} {Word(rule.Protocol)}{ports} from {(from.Length == 0 ? "any" : from)} to {(to.Length == 0 ? "any" : to)}"
            + $"{limit}{(rule.Enabled ? "" : " (off)")}{(rule.Comment is { } c ? $" — {c}" : "")}";
    }

    private static string Word(Enum value) => value.ToString().ToLowerInvariant();
}
