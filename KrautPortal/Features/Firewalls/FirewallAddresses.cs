using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KrautPortal.Features.Firewalls;

/// <summary>How a rule writes addresses and ports: an address or a CIDR of either family, a port or a range of ports.</summary>
public static class FirewallAddresses
{
    /// <summary>An address (<c>192.0.2.7</c>) or a CIDR with no host bits set (<c>192.0.2.0/24</c>, <c>2001:db8::/32</c>).</summary>
    public static bool TryParse(string? text, out IPNetwork network, out string problem)
    {
        problem = "";
        network = default;
        var trimmed = text?.Trim() ?? "";
        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? trimmed : trimmed[..slash];
        if (addressText.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(addressText, out var address)
            || (address.AddressFamily == AddressFamily.InterNetwork && addressText.Count(c => c == '.') != 3))
        {
            problem = $"'{text}' is not an address or CIDR such as 192.0.2.0/24 or 2001:db8::/32.";
            return false;
        }
        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = max;
        if (slash >= 0 && (!int.TryParse(trimmed[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > max))
        {
            problem = $"'{text}' has no valid prefix length (0 to {max}).";
            return false;
        }
        network = new IPNetwork(Masked(address, length), length);
        if (!network.BaseAddress.Equals(address))
        {
            problem = $"'{text}' has host bits set; did you mean {network}?";
            return false;
        }
        return true;
    }

    /// <summary>The canonical text: a single address without its /32 or /128, else the CIDR.</summary>
    public static string Canonical(IPNetwork network) =>
        network.PrefixLength == (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)
            ? network.BaseAddress.ToString() : network.ToString();

    private static IPAddress Masked(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(length - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        return new IPAddress(bytes);
    }

    /// <summary>A port (<c>80</c>) or an inclusive range (<c>8000-8080</c>) of 1–65535.</summary>
    public static bool TryParsePorts(string? text, out (int From, int To) ports, out string problem)
    {
        problem = "";
        ports = default;
        var parts = (text ?? "").Trim().Split('-');
        if (parts.Length is < 1 or > 2 || !parts.All(p => int.TryParse(p.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            problem = $"'{text}' is not a port (80) or a range of ports (8000-8080).";
            return false;
        }
        var from = int.Parse(parts[0].Trim(), CultureInfo.InvariantCulture);
        var to = parts.Length == 2 ? int.Parse(parts[1].Trim(), CultureInfo.InvariantCulture) : from;
        if (from is < 1 or > 65535 || to is < 1 or > 65535)
        {
            problem = $"Ports are 1 to 65535; '{text}' is not.";
            return false;
        }
        if (from > to)
        {
            problem = $"'{text}' is a range that ends before it starts; write {to}-{from}.";
            return false;
        }
        ports = (from, to);
        return true;
    }

    public static string Canonical((int From, int To) ports) =>
        ports.From == ports.To ? ports.From.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{ports.From}-{ports.To}");
}
