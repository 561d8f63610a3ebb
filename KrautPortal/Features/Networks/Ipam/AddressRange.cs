namespace KrautPortal.Features.Networks.Ipam;

/// <summary>An inclusive range of addresses of one family, as numbers (IPv4 fits in the low 32 bits).</summary>
public readonly record struct AddressRange(UInt128 First, UInt128 Last)
{
    public bool Contains(UInt128 address) => address >= First && address <= Last;

    /// <summary>Parses <c>a</c> or <c>a-b</c> of one family; <paramref name="ipv6"/> says which.</summary>
    public static bool TryParse(string text, out AddressRange range, out bool ipv6)
    {
        range = default;
        var parts = text.Split('-', 2, StringSplitOptions.TrimEntries);
        ipv6 = parts[0].Contains(':');
        if (!TryParseOne(parts[0], ipv6, out var first)) return false;
        var last = first;
        if (parts.Length == 2 && !TryParseOne(parts[1], ipv6, out last)) return false;
        if (last < first) return false;
        range = new AddressRange(first, last);
        return true;
    }

    private static bool TryParseOne(string text, bool ipv6, out UInt128 value)
    {
        value = 0;
        if (ipv6) return Ipv6Prefix.TryParseAddress(text, out value);
        if (!Ipv4Subnet.TryParseAddress(text, out var v4)) return false;
        value = v4;
        return true;
    }
}
