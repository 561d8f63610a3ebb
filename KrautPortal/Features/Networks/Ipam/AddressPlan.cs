namespace KrautPortal.Features.Networks.Ipam;

public enum IpFamily { Ipv4 = 4, Ipv6 = 6 }

/// <summary>
/// Which addresses of a network Kraut may hand to NICs. This is the one agreement between IPAM and the realizer:
/// <list type="bullet">
/// <item>The host's bridge takes the first usable IPv4 address when the gateway is None or Host, and the last usable one
/// when a router (Address or VM) is the gateway, so the router can keep the conventional first address.</item>
/// <item>The network and broadcast addresses, the host's address, a gateway Address and every excluded address or
/// range are never handed out.</item>
/// <item>Every NIC gets its address from IPAM (stored in the VM spec and in <c>ip_allocations</c>), so the realizer
/// serves DHCP/DHCPv6 as host reservations only (MAC -> address); dnsmasq gives nothing to MACs it does not know.</item>
/// <item>SLAAC networks get no IPv6 allocations: the address follows the MAC (modified EUI-64, see <see cref="Ipv6Prefix.Eui64"/>).</item>
/// </list>
/// </summary>
public sealed class AddressPlan
{
    private readonly List<AddressRange> _excluded4 = [];
    private readonly List<AddressRange> _excluded6 = [];

    public AddressPlan(NetworkSpec spec)
    {
        if (Ipv4Subnet.TryParse(spec.Ipv4Cidr, out var subnet, out _)) Ipv4 = subnet;
        if (Ipv6Prefix.TryParse(spec.Ipv6Prefix, out var prefix, out _)) Ipv6 = prefix;
        Ipv6Allocated = Ipv6 is not null && spec.Ipv6Mode != Ipv6Mode.Slaac;
        if (Ipv4 is not null)
        {
            HostIpv4 = spec.Gateway.Kind is GatewayKind.Address or GatewayKind.Vm ? Ipv4.LastUsable : Ipv4.FirstUsable;
            if (spec.Gateway.Kind == GatewayKind.Address && Ipv4Subnet.TryParseAddress(spec.Gateway.Address, out var gw)) GatewayIpv4 = gw;
        }
        foreach (var entry in spec.Excluded)
        {
            if (AddressRange.TryParse(entry, out var range, out var v6)) (v6 ? _excluded6 : _excluded4).Add(range);
        }
    }

    public Ipv4Subnet? Ipv4 { get; }
    public Ipv6Prefix? Ipv6 { get; }

    /// <summary>True for DHCPv6 and static IPv6: each NIC gets an address from IPAM.</summary>
    public bool Ipv6Allocated { get; }

    public uint? HostIpv4 { get; }
    public uint? GatewayIpv4 { get; }

    /// <summary>The host's IPv6 address on the bridge: the prefix's first address.</summary>
    public UInt128? HostIpv6 => Ipv6?.FirstUsable;

    /// <summary>Why <paramref name="address"/> cannot be given to a NIC, or null when it can (if nobody holds it yet).</summary>
    public string? WhyNotAssignable(IpFamily family, UInt128 address)
    {
        if (family == IpFamily.Ipv4)
        {
            if (Ipv4 is null) return "This network has no IPv4 subnet.";
            if (address > uint.MaxValue || !Ipv4.Contains((uint)address)) return $"The address is not inside {Ipv4}.";
            if (!Ipv4.IsUsable((uint)address)) return "That is the subnet's network or broadcast address.";
            if (address == HostIpv4) return "That address belongs to the host's bridge.";
            if (address == GatewayIpv4) return "That address is the network's gateway.";
            if (_excluded4.Any(r => r.Contains(address))) return "That address is excluded from allocation on this network.";
            return null;
        }
        if (Ipv6 is null) return "This network has no IPv6 prefix.";
        if (!Ipv6Allocated) return "This network uses SLAAC: IPv6 addresses follow the NIC's MAC and cannot be chosen.";
        if (!Ipv6.IsUsable(address) || address > Ipv6.LastUsable) return $"The address is not a usable address inside {Ipv6}.";
        if (address == HostIpv6) return "That address belongs to the host's bridge.";
        if (_excluded6.Any(r => r.Contains(address))) return "That address is excluded from allocation on this network.";
        return null;
    }

    /// <summary>Assignable addresses in ascending order, starting at <paramref name="from"/> (wrapping once around).</summary>
    public IEnumerable<UInt128> Candidates(IpFamily family, UInt128? from = null)
    {
        var (first, last) = family == IpFamily.Ipv4
            ? ((UInt128)Ipv4!.FirstUsable, (UInt128)Ipv4.LastUsable)
            : (Ipv6!.FirstUsable, Ipv6.LastUsable);
        var start = from is { } f && f >= first && f <= last ? f : first;
        for (var a = start; a <= last && a >= start; a++)
            if (WhyNotAssignable(family, a) is null) yield return a;
        for (var a = first; a < start; a++)
            if (WhyNotAssignable(family, a) is null) yield return a;
    }

    public static string Format(IpFamily family, UInt128 address) =>
        family == IpFamily.Ipv4 ? Ipv4Subnet.ToIp((uint)address).ToString() : Ipv6Prefix.ToIp(address).ToString();

    public static bool TryParse(IpFamily family, string? text, out UInt128 address)
    {
        address = 0;
        if (family == IpFamily.Ipv6) return Ipv6Prefix.TryParseAddress(text, out address);
        if (!Ipv4Subnet.TryParseAddress(text, out var v4)) return false;
        address = v4;
        return true;
    }

    /// <summary>The address a SLAAC NIC will take, for showing it; null when the network has no SLAAC prefix.</summary>
    public string? SlaacAddress(string? mac) =>
        Ipv6 is { Length: 64 } && !Ipv6Allocated && mac is not null && MacAddresses.IsValid(mac) ? Ipv6.Eui64(mac).ToString() : null;
}
