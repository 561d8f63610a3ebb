using System.Net;
using System.Net.Sockets;

namespace KrautPortal.Features.AddressPools;

/// <summary>Containment and overlap of CIDR ranges of one address family (a range of the other family never matches).</summary>
public static class IpRanges
{
    public static bool Overlaps(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);

    public static bool Inside(IPNetwork inner, IPNetwork outer) =>
        outer.Contains(inner.BaseAddress) && inner.PrefixLength >= outer.PrefixLength;

    /// <summary>A CIDR range of <paramref name="family"/> with no host bits set; the problem in a sentence otherwise.</summary>
    public static bool TryParse(string? text, AddressFamily family, out IPNetwork range, out string problem)
    {
        problem = "";
        var example = family == AddressFamily.InterNetwork ? "10.64.0.0/10" : "fd4b:7261:7574::/48";
        if (text is null || !text.Contains('/') || !IPNetwork.TryParse(text.Trim(), out range) || range.BaseAddress.AddressFamily != family)
        {
            range = default;
            problem = $"'{text}' is not an {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} range in CIDR form such as {example}"
                + " (with no host bits set).";
            return false;
        }
        // IPNetwork quietly clears host bits; a range written with them is more likely a typo than meant.
        if (!IPAddress.Parse(text.Trim().Split('/')[0]).Equals(range.BaseAddress))
        {
            problem = $"'{text}' has host bits set; did you mean {range}?";
            return false;
        }
        return true;
    }
}
