using System.Net;

namespace KrautPortal.Features.Images.Upload;

/// <summary>
/// The IANA IPv4 and IPv6 Special-Purpose Address Registries, whole (checked against both registries in 2026-12):
/// no import may reach any of them by default, globally reachable or not, because none of them holds an image
/// server a user could mean. Addresses that carry an IPv4 address inside are judged by that inner address too.
/// </summary>
public static class SpecialPurposeAddresses
{
    private static readonly (IPNetwork Network, string What)[] Ranges =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified (\"this network\") address"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private address (RFC 1918)"),
        (IPNetwork.Parse("100.64.0.0/10"), "a carrier-grade NAT address (RFC 6598)"),
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback address"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address (where cloud metadata services answer)"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private address (RFC 1918)"),
        (IPNetwork.Parse("192.0.0.0/24"), "an IETF protocol address"),
        (IPNetwork.Parse("192.0.2.0/24"), "a documentation address"),
        (IPNetwork.Parse("192.31.196.0/24"), "an AS112 service address"),
        (IPNetwork.Parse("192.52.193.0/24"), "an AMT relay address"),
        (IPNetwork.Parse("192.88.99.0/24"), "a 6to4 relay anycast address (deprecated)"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private address (RFC 1918)"),
        (IPNetwork.Parse("192.175.48.0/24"), "an AS112 service address"),
        (IPNetwork.Parse("198.18.0.0/15"), "a benchmarking address"),
        (IPNetwork.Parse("198.51.100.0/24"), "a documentation address"),
        (IPNetwork.Parse("203.0.113.0/24"), "a documentation address"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast address"),
        (IPNetwork.Parse("255.255.255.255/32"), "the broadcast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved address"),

        (IPNetwork.Parse("::/128"), "an unspecified address"),
        (IPNetwork.Parse("::1/128"), "a loopback address"),
        (IPNetwork.Parse("::/96"), "an IPv4-compatible address (deprecated)"),
        (IPNetwork.Parse("::ffff:0:0:0/96"), "an IPv4-translated address (SIIT)"),
        (IPNetwork.Parse("64:ff9b:1::/48"), "a local-use NAT64 address"),
        (IPNetwork.Parse("100::/64"), "a discard-only address"),
        (IPNetwork.Parse("100:0:0:1::/64"), "a dummy IPv6 prefix"),
        (IPNetwork.Parse("2001::/23"), "an IETF protocol address (Teredo, benchmarking, ORCHID and others)"),
        (IPNetwork.Parse("2001:db8::/32"), "a documentation address"),
        (IPNetwork.Parse("2620:4f:8000::/48"), "an AS112 service address"),
        (IPNetwork.Parse("3fff::/20"), "a documentation address"),
        (IPNetwork.Parse("5f00::/16"), "a segment routing (SRv6) SID"),
        (IPNetwork.Parse("fc00::/7"), "a private (unique local) address"),
        (IPNetwork.Parse("fe80::/10"), "a link-local address"),
        (IPNetwork.Parse("fec0::/10"), "a site-local address (deprecated)"),
        (IPNetwork.Parse("ff00::/8"), "a multicast address"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    /// <summary>What kind of special-purpose address this is; null for an ordinary public one.</summary>
    public static string? Describe(IPAddress address)
    {
        address = Normal(address);
        foreach (var (network, what) in Ranges)
        {
            if (network.Contains(address)) return what;
        }
        // Reached through a gateway that unwraps it: the inner address is where the connection ends.
        if (EmbeddedIpv4(address) is { } inner && Describe(inner) is { } innerWhat) return $"{innerWhat} wrapped in IPv6 ({inner})";
        return null;
    }

    /// <summary>The IPv4 address a NAT64 or 6to4 address carries; null for any other address.</summary>
    public static IPAddress? EmbeddedIpv4(IPAddress address)
    {
        if (Nat64.Contains(address)) return new IPAddress(address.GetAddressBytes()[12..16]);
        if (SixToFour.Contains(address)) return new IPAddress(address.GetAddressBytes()[2..6]);
        return null;
    }

    /// <summary>IPv4-mapped IPv6 as the IPv4 address it is, and no IPv6 zone (fe80::1%eth0 is fe80::1).</summary>
    public static IPAddress Normal(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4()
        : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes())
        : address;
}
