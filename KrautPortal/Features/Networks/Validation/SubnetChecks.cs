using KrautPortal.Features.Store;

namespace KrautPortal.Features.Networks.Validation;

/// <summary>The network's address families: at least one, each well-formed, SLAAC only on a /64.</summary>
public static class SubnetChecks
{
    public static void Check(NetworkSpec spec, ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(spec.Ipv4Cidr) && string.IsNullOrWhiteSpace(spec.Ipv6Prefix))
        {
            errors.Add("spec.ipv4Cidr", "Give an IPv4 subnet (e.g. 10.20.0.0/24), an IPv6 prefix (e.g. fd00:20::/64), or both.");
            return;
        }
        if (!string.IsNullOrWhiteSpace(spec.Ipv4Cidr) && !Ipv4Subnet.TryParse(spec.Ipv4Cidr, out _, out var problem))
            errors.Add("spec.ipv4Cidr", problem);
        if (!string.IsNullOrWhiteSpace(spec.Ipv6Prefix))
        {
            if (!Ipv6Prefix.TryParse(spec.Ipv6Prefix, out var prefix, out var problem6)) errors.Add("spec.ipv6Prefix", problem6);
            else if (spec.Ipv6Mode == Ipv6Mode.Slaac && prefix.Length != 64)
                errors.Add("spec.ipv6Prefix", $"SLAAC needs a /64 prefix (guests form their address from 64 bits of MAC), not /{prefix.Length}; use a /64 or DHCPv6/static.");
        }
    }

    /// <summary>The stored forms, so overlaps and equality compare like with like.</summary>
    public static NetworkSpec Normalize(NetworkSpec spec) => spec with
    {
        Ipv4Cidr = Ipv4Subnet.TryParse(spec.Ipv4Cidr, out var s, out _) ? s.ToString() : NullIfBlank(spec.Ipv4Cidr),
        Ipv6Prefix = Ipv6Prefix.TryParse(spec.Ipv6Prefix, out var p, out _) ? p.ToString() : NullIfBlank(spec.Ipv6Prefix),
    };

    private static string? NullIfBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
