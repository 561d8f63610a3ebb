using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace KrautPortal.Features.Networks;

/// <summary>An IPv6 prefix such as <c>fd00:1:2:3::/64</c>, as a 128-bit number and a length.</summary>
public sealed record Ipv6Prefix(UInt128 Network, int Length)
{
    public static bool TryParse(string? cidr, out Ipv6Prefix prefix, out string problem)
    {
        prefix = new Ipv6Prefix(0, 0);
        problem = "";
        var parts = cidr?.Split('/') ?? [];
        if (parts.Length != 2 || !TryParseAddress(parts[0], out var address) || !int.TryParse(parts[1], out var length) || length is < 1 or > 128)
        {
            problem = $"'{cidr}' is not an IPv6 prefix in CIDR form such as fd00:10:20::/64.";
            return false;
        }
        if (length is < 48 or > 120)
        {
            problem = "The prefix length must be between /48 and /120.";
            return false;
        }
        if ((address & ~Mask(length)) != 0)
        {
            problem = $"{cidr} has host bits set; did you mean {ToIp(address & Mask(length))}/{length}?";
            return false;
        }
        prefix = new Ipv6Prefix(address, length);
        return true;
    }

    public static bool TryParseAddress(string? text, out UInt128 address)
    {
        address = 0;
        if (text is null || !text.Contains(':') || !IPAddress.TryParse(text, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6 || ip.ScopeId != 0)
            return false;
        address = BinaryPrimitives.ReadUInt128BigEndian(ip.GetAddressBytes());
        return true;
    }

    public UInt128 Last => Network | ~Mask(Length);
    public UInt128 FirstUsable => Network + 1;

    /// <summary>The highest address; IPv6 has no broadcast, but the top of the range is left out like in IPv4 to keep the plans alike.</summary>
    public UInt128 LastUsable => Last - 1;

    public bool Contains(UInt128 address) => (address & Mask(Length)) == Network;
    public bool IsUsable(UInt128 address) => Contains(address) && address != Network;

    public bool Overlaps(Ipv6Prefix other)
    {
        var mask = Mask(Math.Min(Length, other.Length));
        return (Network & mask) == (other.Network & mask);
    }

    /// <summary>The SLAAC (modified EUI-64) address a NIC with <paramref name="mac"/> takes in a /64.</summary>
    public IPAddress Eui64(string mac)
    {
        var b = mac.Split(':').Select(h => Convert.ToByte(h, 16)).ToArray();
        UInt128 interfaceId = 0;
        foreach (var octet in new[] { (byte)(b[0] ^ 0x02), b[1], b[2], (byte)0xff, (byte)0xfe, b[3], b[4], b[5] })
            interfaceId = (interfaceId << 8) | octet;
        return ToIp(Network | interfaceId);
    }

    public override string ToString() => $"{ToIp(Network)}/{Length}";

    public static IPAddress ToIp(UInt128 value)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    private static UInt128 Mask(int length) => length == 0 ? 0 : UInt128.MaxValue << (128 - length);
}
