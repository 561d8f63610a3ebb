using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace KrautPortal.Features.Networks.HostFacts;

/// <summary>
/// Reads the host's addresses (every interface), its IPv4 and IPv6 routes (<c>/proc/net/route</c>,
/// <c>/proc/net/ipv6_route</c>) and its DNS servers (<c>/etc/resolv.conf</c>), without running a program.
/// Default routes claim nothing: they would overlap every range.
/// </summary>
public sealed class ProcHostNetworkFacts(string procNet = "/proc/net", string resolvConf = "/etc/resolv.conf") : IHostNetworkFacts
{
    public IReadOnlyList<HostClaim> Read()
    {
        var claims = new List<HostClaim>();
        claims.AddRange(Addresses());
        claims.AddRange(Ipv4Routes(ReadLines(Path.Combine(procNet, "route"))));
        claims.AddRange(Ipv6Routes(ReadLines(Path.Combine(procNet, "ipv6_route"))));
        claims.AddRange(DnsServers(ReadLines(resolvConf), resolvConf));
        return claims;
    }

    private static string[] ReadLines(string path) => File.Exists(path) ? File.ReadAllLines(path) : [];

    private static IEnumerable<HostClaim> Addresses()
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                var address = unicast.Address;
                if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)) continue;
                var text = new IPAddress(address.GetAddressBytes());
                yield return new HostClaim(Masked(text.GetAddressBytes(), unicast.PrefixLength), nic.Name, $"address {text}/{unicast.PrefixLength} on {nic.Name}");
            }
        }
    }

    /// <summary>/proc/net/route: Iface, Destination, Gateway, Flags, RefCnt, Use, Metric, Mask, …; addresses in little-endian hex.</summary>
    public static IEnumerable<HostClaim> Ipv4Routes(IEnumerable<string> lines)
    {
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8 || !uint.TryParse(f[1], NumberStyles.HexNumber, null, out var destination)
                || !uint.TryParse(f[2], NumberStyles.HexNumber, null, out var gateway) || !uint.TryParse(f[7], NumberStyles.HexNumber, null, out var mask))
                continue;
            var prefix = System.Numerics.BitOperations.PopCount(mask);
            if (prefix == 0) continue;
            var range = Masked(BitConverter.GetBytes(destination), prefix);
            var via = gateway == 0 ? "" : $" via {new IPAddress(BitConverter.GetBytes(gateway))}";
            yield return new HostClaim(range, f[0], $"route {range}{via} on {f[0]}");
        }
    }

    /// <summary>/proc/net/ipv6_route: destination, its length (hex), source, its length, next hop, metric, refcnt, use, flags, device.</summary>
    public static IEnumerable<HostClaim> Ipv6Routes(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10 || f[0].Length != 32 || !int.TryParse(f[1], NumberStyles.HexNumber, null, out var length) || length == 0) continue;
            var range = Masked(Convert.FromHexString(f[0]), length);
            var via = f[4].Trim('0').Length == 0 ? "" : $" via {new IPAddress(Convert.FromHexString(f[4]))}";
            yield return new HostClaim(range, f[9], $"route {range}{via} on {f[9]}");
        }
    }

    public static IEnumerable<HostClaim> DnsServers(IEnumerable<string> lines, string source)
    {
        foreach (var line in lines)
        {
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2 || f[0] != "nameserver" || !IPAddress.TryParse(f[1].Split('%')[0], out var server)) continue;
            var bytes = server.GetAddressBytes();
            yield return new HostClaim(Masked(bytes, bytes.Length * 8), null, $"DNS server {new IPAddress(bytes)} (from {source})");
        }
    }

    /// <summary>The network of <paramref name="bytes"/> (network byte order) with <paramref name="prefix"/> bits kept.</summary>
    public static IPNetwork Masked(byte[] bytes, int prefix)
    {
        var masked = (byte[])bytes.Clone();
        for (var bit = prefix; bit < masked.Length * 8; bit++) masked[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        return new IPNetwork(new IPAddress(masked), prefix);
    }
}
