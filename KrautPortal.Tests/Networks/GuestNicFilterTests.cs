using KrautPortal.Features.Networks;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Networks;

/// <summary>Which filter and which addresses each NIC gets, from its network's addressing and gateway.</summary>
public sealed class GuestNicFilterTests
{
    private static readonly Guid Vm = Guid.NewGuid();
    private static readonly VmNic Nic = new() { Id = Guid.NewGuid(), NetworkId = Guid.NewGuid(), Mac = "52:54:00:01:02:03", Ipv4Address = "10.20.0.7", Ipv6Address = "fd00:1::7" };

    [Fact]
    public void ADhcpv6Nic_IsHeldToItsOwnAddresses() =>
        Assert.Equal(Filter(("IP", "10.20.0.7"), ("IPV6", "fd00:1::7"), ("IPV6MASK", "128")),
            GuestNicFilter.For(Vm, Nic, new NetworkSpec { Ipv4Cidr = "10.20.0.0/24", Ipv6Prefix = "fd00:1::/64", Ipv6Mode = Ipv6Mode.Dhcpv6 }));

    [Fact]
    public void ASlaacNic_MayUseAnyAddressOfThePrefix() =>
        Assert.Equal(Filter(("IP", "10.20.0.7"), ("IPV6", "fd00:1::"), ("IPV6MASK", "64")),
            GuestNicFilter.For(Vm, Nic with { Ipv6Address = null }, new NetworkSpec { Ipv4Cidr = "10.20.0.0/24", Ipv6Prefix = "fd00:1::/64", Ipv6Mode = Ipv6Mode.Slaac }));

    [Fact]
    public void AnIpv6OnlyNic_MaySendIpv4OnlyAsADhcpClient() =>
        Assert.Equal(Filter(("IP", "0.0.0.0"), ("IPV6", "fd00:1::7"), ("IPV6MASK", "128")),
            GuestNicFilter.For(Vm, Nic with { Ipv4Address = null }, new NetworkSpec { Ipv6Prefix = "fd00:1::/64", Ipv6Mode = Ipv6Mode.Static }));

    [Fact]
    public void ANicWithoutAReservation_OnADhcpNetwork_LearnsItsAddressFromTheHostsDhcpServer() =>
        Assert.Equal(Filter(("CTRL_IP_LEARNING", "dhcp"), ("DHCPSERVER", "10.20.0.1"), ("IPV6", "::"), ("IPV6MASK", "128")),
            GuestNicFilter.For(Vm, Nic with { Ipv4Address = null }, new NetworkSpec { Ipv4Cidr = "10.20.0.0/24" }));

    [Fact]
    public void TheGatewayVmsNic_KeepsOnlyTheMacChecks_ItsOtherNicsDoNot()
    {
        var network = new NetworkSpec { Ipv4Cidr = "10.20.0.0/24", Gateway = new GatewaySpec { Kind = GatewayKind.Vm, VmId = Vm, NicId = Nic.Id } };

        Assert.Equal(GuestFilters.ForGateway(), GuestNicFilter.For(Vm, Nic, network));
        Assert.Equal(GuestFilters.Guest, GuestNicFilter.For(Vm, Nic with { Id = Guid.NewGuid() }, network).Name);
        Assert.Equal(GuestFilters.Guest, GuestNicFilter.For(Guid.NewGuid(), Nic, network).Name);
    }

    private static NicFilter Filter(params (string Name, string Value)[] parameters) =>
        new(GuestFilters.Guest, parameters.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)).ToList());
}
