using System.Text;
using System.Text.RegularExpressions;

namespace KrautPortal.Features.Vms.CloudInit;

/// <summary>The guest's host name: the one the user gave, or one made from the VM's name (an RFC 1123 label).</summary>
public static partial class GuestHostname
{
    public const int MaxLength = 63;

    public static bool IsValid(string? hostname) => hostname is not null && Label().IsMatch(hostname);

    public static string For(VmSpec spec, string vmName, Guid vmId) =>
        string.IsNullOrWhiteSpace(spec.Hostname) ? FromName(vmName, vmId) : spec.Hostname.Trim().ToLowerInvariant();

    /// <summary>Lower case, common Latin accents dropped, anything else a hyphen; a name with nothing usable gets vm-&lt;id&gt;.</summary>
    public static string FromName(string name, Guid vmId)
    {
        var text = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            // Folded by hand: the app runs with invariant globalization, where Unicode normalization is not available.
            var folded = c switch
            {
                >= 'a' and <= 'z' or >= '0' and <= '9' => c.ToString(),
                'ß' => "ss",
                'æ' => "ae",
                'œ' => "oe",
                _ => Folds.FirstOrDefault(f => f.From.Contains(c)).To ?? "-",
            };
            text.Append(folded);
        }
        var label = Hyphens().Replace(text.ToString(), "-").Trim('-');
        if (label.Length > MaxLength) label = label[..MaxLength].TrimEnd('-');
        // An all-digit label could be taken for an address.
        return label.Length == 0 || label.All(char.IsAsciiDigit) ? $"vm-{vmId.ToString("N")[..8]}" : label;
    }

    private static readonly (string From, string To)[] Folds =
        [("àáâãäåāă", "a"), ("çćč", "c"), ("ďđ", "d"), ("èéêëēėęě", "e"), ("ìíîïī", "i"), ("ñńň", "n"),
         ("òóôõöøō", "o"), ("ŕř", "r"), ("śšş", "s"), ("ťţ", "t"), ("ùúûüūůű", "u"), ("ýÿ", "y"), ("źżž", "z"), ("ł", "l")];

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex("-+")]
    private static partial Regex Hyphens();
}
