using KrautPortal.Features.Hosts;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Networks;

/// <summary>Makes one Kraut network exist and run on one host, or removes it there. Idempotent.</summary>
public sealed class NetworkRealizer(KrautInstance instance)
{
    public string Ensure(KrautHost host, Resource<NetworkSpec, NetworkStatus> network)
    {
        var name = NetworkNames.LibvirtName(instance, network.Id);
        var connection = host.Connection;
        using var existing = connection.FindNetwork(name);
        using var libvirtNetwork = existing ?? connection.DefineNetwork(NetworkXml.Build(Definition(name, network)));
        if (!libvirtNetwork.IsActive) libvirtNetwork.Start();
        libvirtNetwork.SetAutostart(true);
        return libvirtNetwork.GetBridgeName() ?? "";
    }

    public void Remove(KrautHost host, Guid networkId)
    {
        using var libvirtNetwork = host.Connection.FindNetwork(NetworkNames.LibvirtName(instance, networkId));
        if (libvirtNetwork is null) return;
        if (libvirtNetwork.IsActive) libvirtNetwork.Destroy();
        if (libvirtNetwork.IsPersistent) libvirtNetwork.Undefine();
    }

    private static NetworkDefinition Definition(string name, Resource<NetworkSpec, NetworkStatus> network)
    {
        if (!Ipv4Subnet.TryParse(network.Spec.Ipv4Cidr, out var subnet, out var problem))
            throw new InvalidOperationException($"Network {network.Id} has an invalid subnet in its stored spec: {problem}");
        return new NetworkDefinition(
            Name: name,
            Uuid: network.Id,
            ForwardMode: network.Spec.Gateway is { Kind: GatewayKind.Host, Nat: true } ? "nat" : "none",
            Ipv4Address: subnet.Gateway.ToString(),
            Ipv4Prefix: subnet.Prefix,
            DhcpStart: network.Spec.Ipv4Mode == Ipv4Mode.Dhcp ? subnet.DhcpStart.ToString() : null,
            DhcpEnd: network.Spec.Ipv4Mode == Ipv4Mode.Dhcp ? subnet.DhcpEnd.ToString() : null,
            Hosts: []);
    }
}
