using KrautPortal.Features.Networks;
using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Networks;

public sealed class NetworkPlanTests
{
    private static readonly Guid NetworkId = Guid.NewGuid();

    private static NetworkMember Member(string name, string mac, string? ipv4, string? ipv6 = null, Guid? vmId = null, Guid? nicId = null) =>
        new(vmId ?? Guid.NewGuid(), name, null, false, new MemberNic { Id = nicId ?? Guid.NewGuid(), NetworkId = NetworkId, Mac = mac, Ipv4Address = ipv4, Ipv6Address = ipv6 });

    private static NetworkPlan Plan(NetworkSpec spec, params NetworkMember[] members) => NetworkPlan.For(NetworkId, "kraut-x-net", spec, members);

    [Fact]
    public void Dhcp_ReservesEveryNicsAddress_AndServesNothingElse()
    {
        var plan = Plan(new NetworkSpec { Ipv4Cidr = "10.20.0.0/24" },
            Member("web-1", "52:54:00:00:00:01", "10.20.0.10"), Member("Db Server!", "52:54:00:00:00:02", "10.20.0.11"));

        var def = plan.Definition;
        Assert.Equal("none", def.ForwardMode);
        Assert.Equal("10.20.0.1", def.Ipv4Address);
        Assert.Null(def.DhcpStart);
        Assert.Equal([new DhcpHost("52:54:00:00:00:01", "10.20.0.10", "web-1"), new DhcpHost("52:54:00:00:00:02", "10.20.0.11", "db-server")], def.Hosts);
        Assert.Empty(plan.Notes);
    }

    [Fact]
    public void Dhcp_WithANicThatHasNoAddressYet_KeepsARangeForIt()
    {
        var def = Plan(new NetworkSpec { Ipv4Cidr = "10.20.0.0/24" }, Member("old", "52:54:00:00:00:01", null)).Definition;

        Assert.Equal("10.20.0.128", def.DhcpStart);
        Assert.Equal("10.20.0.253", def.DhcpEnd);
    }

    [Fact]
    public void Static_HasNoDhcpAtAll()
    {
        var def = Plan(new NetworkSpec { Ipv4Cidr = "10.20.0.0/24", Ipv4Mode = Ipv4Mode.Static }, Member("a", "52:54:00:00:00:01", "10.20.0.10")).Definition;

        Assert.Empty(def.Hosts);
        Assert.Null(def.DhcpStart);
        Assert.Empty(def.DnsmasqOptions);
    }

    [Theory]
    [InlineData(true, "nat")]
    [InlineData(false, "route")]
    public void HostGateway_ForwardsThroughTheHost(bool nat, string mode)
    {
        var def = Plan(new NetworkSpec { Ipv4Cidr = "10.20.0.0/24", Gateway = new GatewaySpec { Kind = GatewayKind.Host, Nat = nat } }).Definition;

        Assert.Equal(mode, def.ForwardMode);
        Assert.Equal("10.20.0.1", def.Ipv4Address);
        Assert.DoesNotContain(def.DnsmasqOptions, o => o.Contains("router", StringComparison.Ordinal));
    }

    [Fact]
    public void AddressGateway_IsAnnouncedAsRouter_AndTheHostStepsAsideToTheLastAddress()
    {
        var def = Plan(new NetworkSpec { Ipv4Cidr = "10.20.0.0/24", Gateway = new GatewaySpec { Kind = GatewayKind.Address, Address = "10.20.0.1" } }).Definition;

        Assert.Equal("none", def.ForwardMode);
        Assert.Equal("10.20.0.254", def.Ipv4Address);
        Assert.Contains("dhcp-option=option:router,10.20.0.1", def.DnsmasqOptions);
    }

    [Fact]
    public void VmGateway_IsTheGatewayNicsAddress()
    {
        var vm = Guid.NewGuid();
        var nic = Guid.NewGuid();
        var plan = Plan(new NetworkSpec { Ipv4Cidr = "10.20.0.0/24", Gateway = new GatewaySpec { Kind = GatewayKind.Vm, VmId = vm, NicId = nic } },
            Member("router", "52:54:00:00:00:01", "10.20.0.2", vmId: vm, nicId: nic), Member("web", "52:54:00:00:00:02", "10.20.0.3"));

        Assert.Contains("dhcp-option=option:router,10.20.0.2", plan.Definition.DnsmasqOptions);
        Assert.Empty(plan.Notes);
    }

    [Fact]
    public void VmGateway_ThatWentAway_IsReported_AndNoRouterIsAnnounced()
    {
        var plan = Plan(new NetworkSpec { Ipv4Cidr = "10.20.0.0/24", Gateway = new GatewaySpec { Kind = GatewayKind.Vm, VmId = Guid.NewGuid(), NicId = Guid.NewGuid() } },
            Member("web", "52:54:00:00:00:02", "10.20.0.3"));

        Assert.DoesNotContain(plan.Definition.DnsmasqOptions, o => o.Contains("router", StringComparison.Ordinal));
        Assert.Contains(plan.Notes, n => n.Contains("gateway VM", StringComparison.Ordinal) && n.Contains("no longer exists", StringComparison.Ordinal));
    }

    [Fact]
    public void DnsDomainMtuAndRoutes_BecomeDhcpOptions_WithTheDefaultRouteFirstInOption121()
    {
        var def = Plan(new NetworkSpec
        {
            Ipv4Cidr = "10.20.0.0/24",
            Gateway = new GatewaySpec { Kind = GatewayKind.Address, Address = "10.20.0.1" },
            DnsServers = ["9.9.9.9", "2620:fe::fe"],
            DnsDomain = "lab.example",
            Mtu = 1400,
            Routes = [new RouteSpec("10.9.0.0/16", "10.20.0.5"), new RouteSpec("fd00:9::/64", "fd4b::5")],
        }).Definition;

        Assert.Equal(1400, def.Mtu);
        Assert.Equal("lab.example", def.Domain);
        Assert.Contains("dhcp-option=option:dns-server,9.9.9.9", def.DnsmasqOptions);
        Assert.Contains("dhcp-option=option:domain-search,lab.example", def.DnsmasqOptions);
        Assert.Contains("dhcp-option=option:classless-static-route,0.0.0.0/0,10.20.0.1,10.9.0.0/16,10.20.0.5", def.DnsmasqOptions);
    }

    [Fact]
    public void HostileDomain_IsNotPassedToDnsmasq()
    {
        var plan = Plan(new NetworkSpec { Ipv4Cidr = "10.20.0.0/24", DnsDomain = "a.test\nconf-file=/etc/shadow" });

        Assert.Null(plan.Definition.Domain);
        Assert.DoesNotContain(plan.Definition.DnsmasqOptions, o => o.Contains("shadow", StringComparison.Ordinal));
        Assert.Single(plan.Notes);
    }

    [Fact]
    public void Slaac_IsAPrefixWithoutReservations()
    {
        var def = Plan(new NetworkSpec { Ipv6Prefix = "fd4b:20::/64" }, Member("a", "52:54:00:00:00:01", null, "fd4b:20::9")).Definition;

        Assert.Null(def.Ipv4Address);
        Assert.Equal("fd4b:20::1", def.Ipv6!.Address);
        Assert.Equal(64, def.Ipv6.Prefix);
        Assert.Empty(def.Ipv6!.Hosts);
    }

    [Fact]
    public void Dhcpv6_ReservesEveryNicsIpv6Address()
    {
        var def = Plan(new NetworkSpec { Ipv4Cidr = "10.20.0.0/24", Ipv6Prefix = "fd4b:20::/64", Ipv6Mode = Ipv6Mode.Dhcpv6 },
            Member("a", "52:54:00:00:00:01", "10.20.0.10", "fd4b:20:0::0010")).Definition;

        Assert.Equal([new DhcpHost("52:54:00:00:00:01", "fd4b:20::10")], def.Ipv6!.Hosts);
    }

    [Fact]
    public void ASecondNicOfOneVm_GetsItsReservationWithoutRepeatingTheName()
    {
        var vm = Guid.NewGuid();
        var def = Plan(new NetworkSpec { Ipv4Cidr = "10.20.0.0/24" },
            Member("web", "52:54:00:00:00:01", "10.20.0.10", vmId: vm), Member("web", "52:54:00:00:00:02", "10.20.0.11", vmId: vm)).Definition;

        Assert.Equal(["web", null], def.Hosts.Select(h => h.Name));
    }
}
