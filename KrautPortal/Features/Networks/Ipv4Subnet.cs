using System.Net;
using System.Net.Sockets;

namespace KrautPortal.Features.Networks;

/// <summary>An IPv4 subnet as numbers. Which of its addresses the host, gateway and NICs take is decided in <see cref="Ipam.AddressPlan"/>.</summary>
public sealed record Ipv4Subnet(uint Network, int Prefix)
{
    public static bool TryParse(string? cidr, out Ipv4Subnet subnet, out string problem)
    {
        subnet = new Ipv4Subnet(0, 0);
        problem = "";
        var parts = cidr?.Split('/') ?? [];
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(parts[1], out var prefix))
        {
            problem = $"'{cidr}' is not an IPv4 subnet in CIDR form such as 10.20.0.0/24.";
            return false;
        }
        if (prefix is < 8 or > 29)
        {
            problem = "The prefix length must be between /8 and /29.";
            return false;
        }
        var address = ToUInt(ip);
        var mask = Mask(prefix);
        if ((address & ~mask) != 0)
        {
            problem = $"{cidr} has host bits set; did you mean {ToIp(address & mask)}/{prefix}?";
            return false;
        }
        subnet = new Ipv4Subnet(address, prefix);
        return true;
    }

    public uint Size => 1u << (32 - Prefix);
    public uint Broadcast => Network + Size - 1;
    public uint FirstUsable => Network + 1;
    public uint LastUsable => Broadcast - 1;
    public bool Contains(uint address) => (address & Mask(Prefix)) == Network;
    public bool IsUsable(uint address) => Contains(address) && address != Network && address != Broadcast;

    public IPAddress Gateway => ToIp(Network + 1);
    /// <summary>
    /// The dynamic range from before IPAM (upper half), still used by the realizer until it serves IPAM's addresses
    /// as host reservations (net-realize); IPAM hands out from the bottom, so a dynamic lease can differ from the NIC's address.
    /// </summary>
    public IPAddress DhcpStart => ToIp(Network + Math.Max(2, Size / 2));
    public IPAddress DhcpEnd => ToIp(Network + Size - 2);
    public bool Overlaps(Ipv4Subnet other)
    {
        var mask = Mask(Math.Min(Prefix, other.Prefix));
        return (Network & mask) == (other.Network & mask);
    }

    public override string ToString() => $"{ToIp(Network)}/{Prefix}";

    private static uint Mask(int prefix) => prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);

    /// <summary>A dotted-quad IPv4 address (no prefix); false for anything else, IPv6 included.</summary>
    public static bool TryParseAddress(string? text, out uint address)
    {
        address = 0;
        if (text is null || text.Count(c => c == '.') != 3 || !IPAddress.TryParse(text, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
            return false;
        address = ToUInt(ip);
        return true;
    }

    public static uint ToUInt(IPAddress ip)
    {
        var b = ip.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    public static IPAddress ToIp(uint value) => new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
}
