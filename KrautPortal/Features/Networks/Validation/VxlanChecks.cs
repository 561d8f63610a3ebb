using System.Text.RegularExpressions;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Networks.Validation;

/// <summary>A VXLAN connection's own fields; the VNI's uniqueness across networks is checked against the database.</summary>
public static partial class VxlanChecks
{
    public const int MaxVni = 16_777_215;

    public static void Check(VxlanSpec? vxlan, ValidationErrors errors)
    {
        if (vxlan is null) return;
        if (vxlan.Vni is < 1 or > MaxVni) errors.Add("spec.vxlan.vni", $"The VNI must be between 1 and {MaxVni}, not {vxlan.Vni}.");
        for (var i = 0; i < vxlan.Remotes.Count; i++)
        {
            if (!Ipv4Subnet.TryParseAddress(vxlan.Remotes[i], out _) && !Ipv6Prefix.TryParseAddress(vxlan.Remotes[i], out _))
                errors.Add($"spec.vxlan.remotes[{i}]", $"'{vxlan.Remotes[i]}' is not an IPv4 or IPv6 address of a remote VXLAN endpoint.");
        }
        if (vxlan.Group is { } group && !IsMulticast(group))
            errors.Add("spec.vxlan.group", $"'{group}' is not a multicast address (224.0.0.0/4 or ff00::/8).");
        if (vxlan.Group is not null && vxlan.Remotes.Count > 0)
            errors.Add("spec.vxlan.group", "Give either remotes or a multicast group, not both.");
        if (vxlan.Port is < 1 or > 65535) errors.Add("spec.vxlan.port", $"The UDP port must be between 1 and 65535, not {vxlan.Port}.");
        if (vxlan.Device is { } device && !DevicePattern().IsMatch(device))
            errors.Add("spec.vxlan.device", $"'{device}' is not a network interface name (up to 15 letters, digits, '.', '_' or '-').");
    }

    private static bool IsMulticast(string text) =>
        Ipv4Subnet.TryParseAddress(text, out var v4) ? v4 >> 28 == 0xE
        : Ipv6Prefix.TryParseAddress(text, out var v6) && v6 >> 120 == 0xFF;

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9._-]{0,14}$")]
    private static partial Regex DevicePattern();
}
