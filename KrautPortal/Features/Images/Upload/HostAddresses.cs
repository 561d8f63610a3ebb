using System.Net;
using System.Net.NetworkInformation;

namespace KrautPortal.Features.Images.Upload;

/// <summary>
/// The addresses this host has right now, on every interface (Kraut's own bridges included): read at each check,
/// because a network created a minute ago gives the host a new address on a range that may otherwise be allowed.
/// </summary>
public static class HostAddresses
{
    private static readonly IPNetwork ThisNetwork = IPNetwork.Parse("0.0.0.0/8");

    /// <summary>Is <paramref name="address"/> (or the IPv4 address it wraps) one of this host's own?</summary>
    public static bool Contains(IPAddress address)
    {
        address = SpecialPurposeAddresses.Normal(address);
        if (SpecialPurposeAddresses.EmbeddedIpv4(address) is { } inner && Contains(inner)) return true;
        // The whole of 127/8 and ::1 end on this host, whichever of them an interface lists; so do 0.0.0.0 and ::.
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6Any) || ThisNetwork.Contains(address)) return true;
        var bytes = address.GetAddressBytes();
        return Current().Any(a => a.GetAddressBytes().AsSpan().SequenceEqual(bytes));
    }

    public static IEnumerable<IPAddress> Current() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(u => SpecialPurposeAddresses.Normal(u.Address));
}
