using System.Text.RegularExpressions;
using KrautPortal.Features.Networks.Ipam;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Networks.Validation;

/// <summary>What the network tells guests: DNS, MTU, routes, and the addresses it keeps back.</summary>
public static partial class ServiceChecks
{
    public const int MinMtu = 68;
    public const int MaxMtu = 9000;

    public static void Check(NetworkSpec spec, ValidationErrors errors)
    {
        CheckDns(spec, errors);
        if (spec.Mtu is { } mtu && mtu is < MinMtu or > MaxMtu)
            errors.Add("spec.mtu", $"The MTU must be between {MinMtu} and {MaxMtu} bytes, not {mtu}.");
        CheckRoutes(spec, errors);
        CheckExcluded(spec, errors);
    }

    private static void CheckDns(NetworkSpec spec, ValidationErrors errors)
    {
        for (var i = 0; i < spec.DnsServers.Count; i++)
        {
            var server = spec.DnsServers[i];
            if (!Ipv4Subnet.TryParseAddress(server, out _) && !Ipv6Prefix.TryParseAddress(server, out _))
                errors.Add($"spec.dnsServers[{i}]", $"'{server}' is not an IPv4 or IPv6 address.");
        }
        if (spec.DnsDomain is { } domain && !DomainPattern().IsMatch(domain))
            errors.Add("spec.dnsDomain", $"'{domain}' is not a domain name like lab.example (letters, digits and hyphens, dot-separated).");
    }

    private static void CheckRoutes(NetworkSpec spec, ValidationErrors errors)
    {
        var plan = new AddressPlan(spec);
        for (var i = 0; i < spec.Routes.Count; i++)
        {
            var route = spec.Routes[i];
            var field = $"spec.routes[{i}]";
            var v4 = Ipv4Subnet.TryParse(route.Destination, out _, out _) || route.Destination == "0.0.0.0/0";
            var v6 = !v4 && (Ipv6Prefix.TryParse(route.Destination, out _, out _) || route.Destination == "::/0");
            if (!v4 && !v6)
            {
                errors.Add($"{field}.destination", $"'{route.Destination}' is not a destination in CIDR form such as 10.9.0.0/16 or fd00:9::/48.");
                continue;
            }
            var inside = v4
                ? plan.Ipv4 is { } s && Ipv4Subnet.TryParseAddress(route.Via, out var via4) && s.IsUsable(via4)
                : plan.Ipv6 is { } p && Ipv6Prefix.TryParseAddress(route.Via, out var via6) && p.IsUsable(via6);
            if (!inside)
                errors.Add($"{field}.via", $"'{route.Via}' must be a host address inside the network's {(v4 ? "IPv4 subnet" : "IPv6 prefix")}: the router must be reachable on this network.");
        }
    }

    private static void CheckExcluded(NetworkSpec spec, ValidationErrors errors)
    {
        var plan = new AddressPlan(spec);
        for (var i = 0; i < spec.Excluded.Count; i++)
        {
            var entry = spec.Excluded[i];
            var field = $"spec.excluded[{i}]";
            if (!AddressRange.TryParse(entry, out var range, out var v6))
                errors.Add(field, $"'{entry}' is not an address or a range like 10.20.0.50-10.20.0.99 (first not above last).");
            else if (!v6 && (plan.Ipv4 is not { } s || range.First > uint.MaxValue || !s.Contains((uint)range.First) || !s.Contains((uint)range.Last)))
                errors.Add(field, $"'{entry}' is not inside the network's IPv4 subnet.");
            else if (v6 && (plan.Ipv6 is not { } p || !p.Contains(range.First) || !p.Contains(range.Last)))
                errors.Add(field, $"'{entry}' is not inside the network's IPv6 prefix.");
        }
    }

    [GeneratedRegex(@"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")]
    private static partial Regex DomainPattern();
}
