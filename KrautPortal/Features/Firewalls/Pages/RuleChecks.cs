using System.Globalization;
using System.Net;
using System.Net.Sockets;
using KrautPortal.Features.Store.Selectors;

namespace KrautPortal.Features.Firewalls.Pages;

/// <summary>
/// What the rules table says at a field while someone types (a port of 70000, an IPv6 source on an icmp rule, a
/// selector that does not parse). Only a first word: the firewall's rules on save are the last, and their field errors
/// land on the same row and field (<see cref="FieldOf"/>).
/// </summary>
public static class RuleChecks
{
    public const string Ports = "ports";
    public const string Sources = "sources";
    public const string Destinations = "destinations";
    public const string SourceSelector = "sourceSelector";
    public const string DestinationSelector = "destinationSelector";
    public const string RateLimit = "rateLimit";

    /// <summary>Problems of one row by field (one of the constants above).</summary>
    public static Dictionary<string, string> Of(RuleRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var problems = new Dictionary<string, string>();
        if (PortsProblem(row) is { } ports) problems[Ports] = ports;
        var sources = Addresses(FirewallDraft.Items(row.Sources), Sources, problems);
        var destinations = Addresses(FirewallDraft.Items(row.Destinations), Destinations, problems);
        FamilyAgainstProtocol(row.Protocol, sources, Sources, problems);
        FamilyAgainstProtocol(row.Protocol, destinations, Destinations, problems);
        if (sources.Count > 0 && destinations.Count > 0 && !sources.Intersect(destinations).Any() && !problems.ContainsKey(Destinations))
            problems[Destinations] = "Sources and destinations are of different IP families: this rule could never match.";
        if (SelectorProblem(row.SourceSelector) is { } s) problems[SourceSelector] = s;
        if (SelectorProblem(row.DestinationSelector) is { } d) problems[DestinationSelector] = d;
        if (row.NewConnectionsPerSecond is <= 0 || row.Burst is <= 0 || row.PacketsPerSecond is <= 0 || row.BytesPerSecond is <= 0)
            problems[RateLimit] = "A rate limit must be a positive number.";
        else if (row.Burst is not null && row.NewConnectionsPerSecond is null)
            problems[RateLimit] = "A burst needs new connections per second.";
        return problems;
    }

    /// <summary>A port number of an upstream port or forward target, or null when it is fine.</summary>
    public static string? PortProblem(int? port) => port switch
    {
        null => "Give a port.",
        < 1 or > 65535 => $"{port} is not a port: ports go from 1 to 65535.",
        _ => null,
    };

    /// <summary>
    /// "spec.rules[3].ports" → (3, "ports"): which row and field a server error belongs to; null for errors that are
    /// not about one rule field (those show above the table).
    /// </summary>
    public static (int Index, string Field)? FieldOf(string key, string list = "spec.rules")
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!key.StartsWith(list + "[", StringComparison.Ordinal)) return null;
        var end = key.IndexOf(']', list.Length);
        if (end < 0 || !int.TryParse(key.AsSpan(list.Length + 1, end - list.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)) return null;
        var rest = key[(end + 1)..].TrimStart('.');
        // "rateLimit.burst" is shown under the rate limit; "ports[1]" under the ports.
        var field = rest.Split('.', '[')[0];
        return (index, field);
    }

    private static string? PortsProblem(RuleRow row)
    {
        var items = FirewallDraft.Items(row.Ports);
        if (items.Count == 0) return null;
        if (row.Protocol is not (RuleProtocol.Tcp or RuleProtocol.Udp)) return "Ports only go with tcp or udp.";
        foreach (var item in items)
        {
            var parts = item.Split('-');
            if (parts.Length > 2 || parts.Any(p => !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                return $"'{item}' is not a port or a range such as 8000-8080.";
            var numbers = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
            if (numbers.Exists(n => n is < 1 or > 65535))
                return $"{numbers.First(n => n is < 1 or > 65535)} is not a port: ports go from 1 to 65535.";
            if (numbers.Count == 2 && numbers[0] > numbers[1]) return $"The range {item} runs backwards.";
        }
        return null;
    }

    /// <summary>The address families of the items that parse; the first that does not is the field's problem.</summary>
    private static HashSet<AddressFamily> Addresses(IReadOnlyList<string> items, string field, Dictionary<string, string> problems)
    {
        var families = new HashSet<AddressFamily>();
        foreach (var item in items)
        {
            if (IPNetwork.TryParse(item, out var network)) families.Add(network.BaseAddress.AddressFamily);
            else if (IPAddress.TryParse(item, out var address)) families.Add(address.AddressFamily);
            else
            {
                problems.TryAdd(field, $"'{item}' is not an IPv4 or IPv6 address or CIDR (with no host bits set).");
            }
        }
        return families;
    }

    private static void FamilyAgainstProtocol(RuleProtocol protocol, HashSet<AddressFamily> families, string field, Dictionary<string, string> problems)
    {
        if (protocol == RuleProtocol.Icmp && families.Contains(AddressFamily.InterNetworkV6))
            problems.TryAdd(field, "icmp is IPv4's: an IPv6 address here never matches (use icmpv6).");
        if (protocol == RuleProtocol.Icmpv6 && families.Contains(AddressFamily.InterNetwork))
            problems.TryAdd(field, "icmpv6 is IPv6's: an IPv4 address here never matches (use icmp).");
    }

    private static string? SelectorProblem(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector)) return null;
        try
        {
            SelectorParser.Parse(selector);
            return null;
        }
        catch (SelectorParseException e)
        {
            return e.Message;
        }
    }
}
