using System.Net;

namespace KrautPortal.Features.Networks;

/// <summary>A network's IPv4 subnet and IPv6 prefix as plain ranges, with the spec field each comes from.</summary>
public static class NetworkRanges
{
    public static IReadOnlyList<(string Field, IPNetwork Range)> Of(NetworkSpec spec)
    {
        var ranges = new List<(string, IPNetwork)>();
        if (Ipv4Subnet.TryParse(spec.Ipv4Cidr, out var subnet, out _)) ranges.Add(("spec.ipv4Cidr", new IPNetwork(Ipv4Subnet.ToIp(subnet.Network), subnet.Prefix)));
        if (Ipv6Prefix.TryParse(spec.Ipv6Prefix, out var prefix, out _)) ranges.Add(("spec.ipv6Prefix", new IPNetwork(Ipv6Prefix.ToIp(prefix.Network), prefix.Length)));
        return ranges;
    }
}
