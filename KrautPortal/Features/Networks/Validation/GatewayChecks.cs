using KrautPortal.Features.Store;

namespace KrautPortal.Features.Networks.Validation;

/// <summary>The gateway's fields fit its kind; a gateway address is a usable address inside the subnet.</summary>
public static class GatewayChecks
{
    public static void Check(NetworkSpec spec, ValidationErrors errors)
    {
        var gateway = spec.Gateway;
        if (gateway.Nat && gateway.Kind != GatewayKind.Host)
            errors.Add("spec.gateway.nat", "NAT is done by the host: it needs gateway kind 'host'.");
        if (gateway.Kind != GatewayKind.Address && gateway.Address is not null)
            errors.Add("spec.gateway.address", "An address is only given for gateway kind 'address'.");
        if (gateway.Kind != GatewayKind.Vm && (gateway.VmId is not null || gateway.NicId is not null))
            errors.Add("spec.gateway.vmId", "A VM and NIC are only given for gateway kind 'vm'.");
        if (gateway.Kind == GatewayKind.Address) CheckAddress(spec, errors);
        if (gateway.Kind == GatewayKind.Vm)
        {
            if (gateway.VmId is null) errors.Add("spec.gateway.vmId", "Give the id of the VM that routes for this network.");
            if (gateway.NicId is null) errors.Add("spec.gateway.nicId", "Give the id of that VM's NIC on this network.");
        }
    }

    private static void CheckAddress(NetworkSpec spec, ValidationErrors errors)
    {
        const string field = "spec.gateway.address";
        if (!Ipv4Subnet.TryParse(spec.Ipv4Cidr, out var subnet, out _))
        {
            errors.Add(field, "A gateway address needs an IPv4 subnet on the network.");
            return;
        }
        if (!Ipv4Subnet.TryParseAddress(spec.Gateway.Address, out var address))
            errors.Add(field, $"'{spec.Gateway.Address}' is not an IPv4 address like 10.20.0.1.");
        else if (!subnet.Contains(address))
            errors.Add(field, $"{spec.Gateway.Address} is not inside {subnet}.");
        else if (!subnet.IsUsable(address))
            errors.Add(field, $"{spec.Gateway.Address} is the network or broadcast address of {subnet}; pick a host address.");
        else if (address == subnet.LastUsable)
            errors.Add(field, $"{spec.Gateway.Address} is the host's own address on this network (the last usable one when a router is the gateway).");
    }
}
