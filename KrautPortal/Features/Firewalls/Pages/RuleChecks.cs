using System.Globalization;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Firewalls.Pages;

/// <summary>
/// What the rules and forwards tables say at a field while someone types (a port of 70000, an IPv6 source on an icmp
/// rule, a selector that does not parse): the firewall's own form checks (<see cref="FirewallSpecCheck"/>, the ones a
/// save runs first) on the one row, shown at the field they name. The save has the last word (networks, VMs, ownership);
/// its field errors land on the same row and field (<see cref="FieldOf"/>).
/// </summary>
public static class RuleChecks
{
    public const string Ports = "ports";
    public const string Sources = "sources";
    public const string Destinations = "destinations";
    public const string SourceSelector = "sourceSelector";
    public const string DestinationSelector = "destinationSelector";
    public const string RateLimit = "rateLimit";

    /// <summary>Problems of one rule by field (one of the constants above, or another field of the rule).</summary>
    public static Dictionary<string, string> Of(RuleRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return ByField(new FirewallSpec { Rules = [row.ToRule()] }, "spec.rules");
    }

    /// <summary>Problems of one forward by field (<c>upstreamPort</c>, <c>port</c>, <c>vmId</c>…).</summary>
    public static Dictionary<string, string> Of(ForwardRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var problems = ByField(new FirewallSpec { Forwards = [row.ToForward()] }, "spec.forwards");
        // Empty fields are not yet wrong numbers: say what is missing instead of "not 0".
        if (row.UpstreamPort is null) problems["upstreamPort"] = "Give the port on the router's upstream address.";
        if (row.Port is null) problems.Remove("port");
        if (row.VmId is null) problems["vmId"] = "Pick the VM to forward to.";
        return problems;
    }

    private static Dictionary<string, string> ByField(FirewallSpec spec, string list)
    {
        var errors = new ValidationErrors();
        FirewallSpecCheck.Check(spec, errors);
        var problems = new Dictionary<string, string>();
        try
        {
            errors.ThrowIfAny();
        }
        catch (ValidationException e)
        {
            foreach (var (key, messages) in e.Errors)
                if (FieldOf(key, list) is { } at) problems[at.Field] = problems.TryGetValue(at.Field, out var before) ? $"{before} {string.Join(" ", messages)}" : string.Join(" ", messages);
        }
        return problems;
    }

    /// <summary>
    /// "spec.rules[3].ports[1]" → (3, "ports"): which row and field an error belongs to; null for errors that are not
    /// about one row's field (those show above the table).
    /// </summary>
    public static (int Index, string Field)? FieldOf(string key, string list = "spec.rules")
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!key.StartsWith(list + "[", StringComparison.Ordinal)) return null;
        var end = key.IndexOf(']', list.Length);
        if (end < 0 || !int.TryParse(key.AsSpan(list.Length + 1, end - list.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)) return null;
        var rest = key[(end + 1)..].TrimStart('.');
        // "rateLimit.burst" shows under the rate limit, "ports[1]" under the ports.
        var field = rest.Split('.', '[')[0];
        return field.Length == 0 ? null : (index, field);
    }
}
