namespace KrautPortal.Features.Networks;

/// <summary>One line describing a network's addressing, for lists and the wizard.</summary>
public static class NetworkText
{
    public static string Summary(NetworkSpec spec)
    {
        var parts = new List<string>();
        if (spec.Ipv4Cidr is { } v4) parts.Add($"{v4} {spec.Ipv4Mode.ToString().ToLowerInvariant()}");
        if (spec.Ipv6Prefix is { } v6) parts.Add($"{v6} {spec.Ipv6Mode.ToString().ToLowerInvariant()}");
        parts.Add(spec.Gateway.Kind switch
        {
            GatewayKind.Host => spec.Gateway.Nat ? "NAT via host" : "routed by host",
            GatewayKind.Address => $"gateway {spec.Gateway.Address}",
            GatewayKind.Vm => "gateway VM",
            _ => "isolated",
        });
        if (spec.Vxlan is { } vxlan) parts.Add($"VXLAN {vxlan.Vni}");
        return string.Join(" · ", parts);
    }
}
