using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace KrautPortal.Features.Networks;

public static partial class MacAddresses
{
    /// <summary>QEMU's locally administered prefix, so Kraut's MACs never clash with real hardware.</summary>
    public static string NewMac()
    {
        Span<byte> b = stackalloc byte[3];
        RandomNumberGenerator.Fill(b);
        return $"52:54:00:{b[0]:x2}:{b[1]:x2}:{b[2]:x2}";
    }

    public static bool IsValid(string mac) => MacPattern().IsMatch(mac) && (Convert.ToByte(mac[..2], 16) & 1) == 0;

    [GeneratedRegex("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")]
    private static partial Regex MacPattern();
}
