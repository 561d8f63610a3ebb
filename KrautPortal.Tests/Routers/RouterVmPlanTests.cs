using KrautPortal.Features;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;
using KrautPortal.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// A router VM (a system VM marked with <see cref="RouterVmMarker"/>) planned by the ordinary VM planner on real portal
/// services: the agent channel, the filters per leg and the seed the appliance configures itself from.
/// </summary>
public sealed class RouterVmPlanTests(RouterVmApp app) : IClassFixture<RouterVmApp>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kraut-router-seed-").FullName;

    private static NetworkSpec Nat(string cidr) => new() { Ipv4Cidr = cidr, Gateway = new GatewaySpec { Kind = GatewayKind.Host, Nat = true } };

    private static NetworkSpec Isolated(string cidr, Ipv4Mode mode = Ipv4Mode.Dhcp) => new() { Ipv4Cidr = cidr, Ipv4Mode = mode };

    private static string HostAddress(string cidr) => cidr.Replace(".0/24", ".1", StringComparison.Ordinal);

    [Fact]
    public async Task AMarkedSystemVm_GetsTheAgentChannel_AUsersVmWithTheSameMetadataIsAnOrdinaryVm()
    {
        var wan = await app.NetworkAsync("wan", Nat(RouterVmApp.Subnet()));
        var lan = await app.NetworkAsync("lan", Isolated(RouterVmApp.Subnet()));
        var router = await app.RouterVmAsync(wan.Id, lan.Id);
        var impostor = await app.VmAsync("impostor", router.Metadata.DeepClone().AsObject(), isSystem: false, null, wan.Id, lan.Id);

        var routerPlan = await app.PlanAsync(router);
        var impostorPlan = await app.PlanAsync(impostor);

        Assert.True(routerPlan.IsRouter);
        Assert.Equal(new ChannelDefinition(app.Factory.Service<KrautPaths>().RouterAgentSocketFor(router.Id), "org.kraut.agent"), routerPlan.AgentChannel);
        Assert.False(impostorPlan.IsRouter);
        Assert.Null(impostorPlan.AgentChannel);
        // The user's VM is addressed and filtered like any guest.
        Assert.All(impostorPlan.Nics, n => Assert.Equal(GuestFilters.Guest, n.Filter!.Name));
        Assert.Contains("dhcp4: true", impostorPlan.Seed().NetworkConfig, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BothLegs_OnTheOwnersNetworks_GetTheGatewayFilter()
    {
        var wan = await app.NetworkAsync("wan", Nat(RouterVmApp.Subnet()));
        var lan = await app.NetworkAsync("lan", Isolated(RouterVmApp.Subnet()));

        var plan = await app.PlanAsync(await app.RouterVmAsync(wan.Id, lan.Id));

        Assert.Equal([GuestFilters.Gateway, GuestFilters.Gateway], plan.Nics.Select(n => n.Filter!.Name));
        Assert.All(plan.Nics, n => Assert.Empty(n.Filter!.Parameters));
    }

    [Fact]
    public async Task OnKrautsSharedUplink_TheUpstreamLegIsHeldToItsOwnAddress_TheRoutedLegIsAGateway()
    {
        var uplink = await app.NetworkAsync("uplink", Nat(RouterVmApp.Subnet()), isSystem: true);
        var lan = await app.NetworkAsync("lan", Isolated(RouterVmApp.Subnet()));

        var plan = await app.PlanAsync(await app.RouterVmAsync(uplink.Id, lan.Id));

        var upstream = plan.Nics[RouterVmMarker.UpstreamNic];
        Assert.Equal(GuestFilters.Guest, upstream.Filter!.Name);
        Assert.Contains(new KeyValuePair<string, string>(GuestFilters.Ipv4Parameter, upstream.Nic.Ipv4Address!), upstream.Filter.Parameters);
        Assert.Equal(GuestFilters.Gateway, plan.Nics[RouterVmMarker.RoutedNic].Filter!.Name);
        // The filters the reconciler syncs onto a running domain are the same.
        Assert.Equal(GuestFilters.Guest, plan.NicFilters[upstream.Nic.Mac!.ToLowerInvariant()].Name);
    }

    [Fact]
    public async Task TheSeed_IsStaticOnBothLegs_WithTheDefaultRouteUpstream_AndNothingFromUsers()
    {
        var wanCidr = RouterVmApp.Subnet();
        var wan = await app.NetworkAsync("wan", Nat(wanCidr));
        var lan = await app.NetworkAsync("lan", Isolated(RouterVmApp.Subnet()));
        var router = await app.RouterVmAsync(wan.Id, lan.Id, s => s with
        {
            Hostname = "edge-1",
            UserData = "#!/bin/sh\necho owned\n",
            SshAuthorizedKeys = [CloudInit.TestKeys.Ed25519()],
        });

        var seed = (await app.PlanAsync(router)).Seed();

        var (up, down) = (router.Spec.Nics[0], router.Spec.Nics[1]);
        // Read by the appliance's own parser (the test guest's init, run by busybox awk as in the guest).
        Assert.Equal([
            $"{up.Mac!.ToLowerInvariant()} dhcp4 false",
            $"{up.Mac!.ToLowerInvariant()} dhcp6 false",
            $"{up.Mac!.ToLowerInvariant()} accept-ra false",
            $"{up.Mac!.ToLowerInvariant()} addr {up.Ipv4Address}/24",
            $"{up.Mac!.ToLowerInvariant()} route 0.0.0.0/0 {HostAddress(wanCidr)}",
            $"{up.Mac!.ToLowerInvariant()} dns {HostAddress(wanCidr)}",
            $"{down.Mac!.ToLowerInvariant()} dhcp4 false",
            $"{down.Mac!.ToLowerInvariant()} dhcp6 false",
            $"{down.Mac!.ToLowerInvariant()} accept-ra false",
            $"{down.Mac!.ToLowerInvariant()} addr {down.Ipv4Address}/24",
        ], GuestFacts(seed.NetworkConfig));
        Assert.Contains("\"edge-1\"", seed.MetaData, StringComparison.Ordinal);
        Assert.DoesNotContain("public-keys", seed.MetaData, StringComparison.Ordinal);
        Assert.Equal("#cloud-config\n{}\n", seed.UserData);
    }

    [Theory]
    [InlineData(GatewayKind.Address, true)]
    [InlineData(GatewayKind.None, false)]
    public async Task TheDefaultRoute_IsTheUpstreamNetworksGatewayAddress_OrNoneWithoutOne(GatewayKind kind, bool routed)
    {
        var cidr = RouterVmApp.Subnet();
        var gatewayAddress = cidr.Replace(".0/24", ".1", StringComparison.Ordinal);
        var wan = await app.NetworkAsync("wan", Isolated(cidr) with
        {
            Gateway = kind == GatewayKind.Address ? new GatewaySpec { Kind = kind, Address = gatewayAddress } : new GatewaySpec(),
        });
        var lan = await app.NetworkAsync("lan", Isolated(RouterVmApp.Subnet()));

        var facts = GuestFacts((await app.PlanAsync(await app.RouterVmAsync(wan.Id, lan.Id))).Seed().NetworkConfig);

        Assert.Equal(routed ? 1 : 0, facts.Count(f => f.EndsWith($"route 0.0.0.0/0 {gatewayAddress}", StringComparison.Ordinal)));
        Assert.Equal(routed ? 1 : 0, facts.Count(f => f.Contains(" route ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ANetworkWithARouter_AnnouncesItsLeg_AndAStaticGuestRoutesThroughIt()
    {
        var wan = await app.NetworkAsync("wan", Nat(RouterVmApp.Subnet()));
        var lan = await app.NetworkAsync("lan", Isolated(RouterVmApp.Subnet()));
        var staticLan = await app.NetworkAsync("static-lan", Isolated(RouterVmApp.Subnet(), Ipv4Mode.Static));
        // A user's VM with the marker is no router: nothing is announced for it.
        await app.VmAsync("impostor", RouterVmMarker.Metadata(Guid.NewGuid()), isSystem: false, null, wan.Id, lan.Id);
        Assert.DoesNotContain((await app.NetworkPlanAsync(lan)).Definition.DnsmasqOptions, o => o.StartsWith("dhcp-option=option:router,", StringComparison.Ordinal));

        var router = await app.RouterVmAsync(wan.Id, lan.Id);
        var staticRouter = await app.RouterVmAsync(wan.Id, staticLan.Id);
        var guest = await app.VmAsync("guest", [], isSystem: false, null, staticLan.Id);

        var plan = await app.NetworkPlanAsync(lan);
        Assert.Contains($"dhcp-option=option:router,{router.Spec.Nics[1].Ipv4Address}", plan.Definition.DnsmasqOptions);
        Assert.Empty(plan.Notes);
        // The router's upstream leg is on the wan network: that one keeps the host as its router.
        Assert.DoesNotContain((await app.NetworkPlanAsync(wan)).Definition.DnsmasqOptions, o => o.StartsWith("dhcp-option=option:router,", StringComparison.Ordinal));
        var guestFacts = GuestFacts((await app.PlanAsync(guest)).Seed().NetworkConfig);
        Assert.Contains($"{guest.Spec.Nics[0].Mac!.ToLowerInvariant()} route 0.0.0.0/0 {staticRouter.Spec.Nics[1].Ipv4Address}", guestFacts);
    }

    [Fact]
    public void ARouterBeingDeleted_IsNoLongerAnnounced_AndTheNetworkSaysWhy()
    {
        var network = Guid.NewGuid();
        var spec = new NetworkSpec { Ipv4Cidr = "10.40.0.0/24" };
        var leg = new MemberNic { Id = Guid.NewGuid(), NetworkId = network, Mac = "52:54:00:40:00:02", Ipv4Address = "10.40.0.2", RoutesNetwork = true };
        NetworkMember Member(bool deleting) => new(Guid.NewGuid(), "router", null, deleting, leg);

        var active = NetworkPlan.For(network, "kraut-x", spec, [Member(deleting: false)]);
        var leaving = NetworkPlan.For(network, "kraut-x", spec, [Member(deleting: true)]);

        Assert.Contains("dhcp-option=option:router,10.40.0.2", active.Definition.DnsmasqOptions);
        Assert.DoesNotContain(leaving.Definition.DnsmasqOptions, o => o.StartsWith("dhcp-option=option:router,", StringComparison.Ordinal));
        Assert.Contains(leaving.Notes, n => n.Contains("router is being removed", StringComparison.Ordinal));
    }

    private List<string> GuestFacts(string networkConfig)
    {
        string Awk(string script, string input)
        {
            var file = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
            File.WriteAllText(file, input);
            return Tool.Run("busybox", "awk", "-f", Path.Combine(RepoPaths.Root, "scripts", "guest-image", script), file);
        }
        return Awk("netcfg.awk", Awk("yaml.awk", networkConfig) + "\n").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
