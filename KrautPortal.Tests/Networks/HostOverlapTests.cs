using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using KrautPortal.Features.Networks.HostFacts;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Networks;

/// <summary>
/// Nobody, administrators included, gets a network on a range the host uses itself: checked when the network is
/// created (against this machine's real interfaces, routes and DNS server) and again before it is realised.
/// </summary>
public sealed class HostOverlapTests
{
    [Fact]
    public void ProcRoutes_AreReadAsRanges_AndDefaultRoutesClaimNothing()
    {
        // As this machine's /proc/net/route and /proc/net/ipv6_route read on 2026-12-04.
        var v4 = ProcHostNetworkFacts.Ipv4Routes(
        [
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
            "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
            "virbr0\t00004D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
            "eth0\t000010AC\t010200C0\t0003\t0\t0\t0\t0000F0FF\t0\t0\t0",
        ]).ToList();
        Assert.Equal(["10.77.0.0/24 virbr0 route 10.77.0.0/24 on virbr0", "172.16.0.0/12 eth0 route 172.16.0.0/12 via 192.0.2.1 on eth0"],
            v4.Select(c => $"{c.Range} {c.Interface} {c.What}"));

        var v6 = ProcHostNetworkFacts.Ipv6Routes(
        [
            "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0",
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0",
            "fd4b0001000000000000000000000000 30 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0",
        ]).ToList();
        Assert.Equal(["fd00::/64 eth0 route fd00::/64 on eth0", "fd4b:1::/48 eth0 route fd4b:1::/48 via fd00::1 on eth0"],
            v6.Select(c => $"{c.Range} {c.Interface} {c.What}"));

        var dns = ProcHostNetworkFacts.DnsServers(["# comment", "nameserver 10.255.255.53", "search lan", "nameserver fe80::1%eth0"], "/etc/resolv.conf").ToList();
        Assert.Equal(["10.255.255.53/32", "fe80::1/128"], dns.Select(c => c.Range.ToString()));
        Assert.All(dns, c => Assert.Null(c.Interface));
    }

    [Fact]
    public async Task OnThisMachine_ThePrimaryAddressesSubnet_AndTheDnsServersRange_AreRefused_EvenToAnAdministrator()
    {
        var (primary, nic) = PrimaryIpv4();
        var dns = File.ReadAllLines("/etc/resolv.conf").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 2 && f[0] == "nameserver" && IPAddress.TryParse(f[1], out var a) && a.AddressFamily == AddressFamily.InterNetwork)
            .Select(f => IPAddress.Parse(f[1])).FirstOrDefault();
        Assert.True(dns is not null, "precondition: /etc/resolv.conf names an IPv4 DNS server");

        using var app = new KrautAppFactory(services: s => s.AddSingleton<IHostNetworkFacts>(new ProcHostNetworkFacts()));
        using var api = new ApiClient(app);
        // Clamped to the lengths a network may have: a /29 inside a smaller host subnet, the /8 of a larger one.
        var lan = ProcHostNetworkFacts.Masked(primary.Address.GetAddressBytes(), Math.Clamp(primary.PrefixLength, 8, 29));
        await AssertRefusedAsync(api, lan.ToString(), $"on {nic}");
        await AssertRefusedAsync(api, ProcHostNetworkFacts.Masked(dns!.GetAddressBytes(), 24).ToString(), $"DNS server {dns}");
    }

    [Fact]
    public async Task ANetworkWhoseRangeTheHostTookSinceItsCreation_IsNotStarted_AndSaysWhy_UntilTheHostLetsGo()
    {
        // On this machine's libvirtd: only a local host's networks are bridges that its own routes can collide with.
        var facts = new MutableHostFacts();
        using var app = new KrautAppFactory(KrautAppFactory.SystemDriver, services: s => s.AddSingleton<IHostNetworkFacts>(facts));
        using var api = new ApiClient(app);
        var cidr = $"{TestSubnets.FreePrefix(240, 250)}.0/24";
        var network = await api.CreateAsync("networks", new JsonObject { ["name"] = ApiClient.UniqueName("taken"), ["spec"] = new JsonObject { ["ipv4Cidr"] = cidr } });
        var path = $"/api/v1/networks/{network["id"]}";
        var libvirtName = await Eventually.WaitForAsync(async () =>
        {
            var status = (await api.GetAsync(path))["status"]!;
            return (string?)status["phase"] == "active" ? (string?)status["libvirtName"] : null;
        }, TimeSpan.FromSeconds(30), "the network to be active");

        // The host restarts with a new route into that range; the network is no longer running.
        using (var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver))
        using (var stopped = libvirt.FindNetwork(libvirtName!)!)
        {
            stopped.Destroy();
        }
        facts.Claims = [new HostClaim(IPNetwork.Parse(cidr), "eth1", $"route {cidr} via 192.0.2.1 on eth1")];
        using (await api.PatchAsync(path, new JsonObject { ["spec"] = new JsonObject { ["description"] = "poke" } })) { }

        var failed = await Eventually.WaitForAsync(async () =>
        {
            var status = (await api.GetAsync(path))["status"]!;
            return (string?)status["phase"] == "failed" ? status : null;
        }, TimeSpan.FromSeconds(30), "the network to fail");
        Assert.Contains($"Not started: {cidr} overlaps what this host uses itself: the route {cidr} via 192.0.2.1 on eth1", (string?)failed["message"]);
        Assert.False(IsActive(libvirtName!), "the network was started on a range the host routes");

        facts.Claims = [];
        using (await api.PatchAsync(path, new JsonObject { ["spec"] = new JsonObject { ["description"] = "free again" } })) { }
        await Eventually.WaitUntilAsync(async () => (string?)(await api.GetAsync(path))["status"]!["phase"] == "active", TimeSpan.FromSeconds(30), "the network to run again");
        Assert.True(IsActive(libvirtName!));
    }

    [Fact]
    public async Task OnTheDemoHost_ANetworkStarts_WhateverThisMachineRoutes()
    {
        // The test driver's networks are records, not bridges here: this machine's routes (another Kraut's bridge, say)
        // cannot collide with them, and must not stop them (or the VMs on them) from starting.
        var facts = new MutableHostFacts();
        using var app = new KrautAppFactory(services: s => s.AddSingleton<IHostNetworkFacts>(facts));
        using var api = new ApiClient(app);
        var cidr = ApiClient.NextSubnet();
        var network = await api.CreateAsync("networks", new JsonObject { ["name"] = ApiClient.UniqueName("demo"), ["spec"] = new JsonObject { ["ipv4Cidr"] = cidr } });
        facts.Claims = [new HostClaim(IPNetwork.Parse(cidr), "virbr9", $"route {cidr} on virbr9")];
        var path = $"/api/v1/networks/{network["id"]}";
        using (await api.PatchAsync(path, new JsonObject { ["spec"] = new JsonObject { ["description"] = "poke" } })) { }

        await Eventually.WaitUntilAsync(async () =>
        {
            var status = (await api.GetAsync(path))["status"]!;
            Assert.NotEqual("failed", (string?)status["phase"]);
            return (string?)status["phase"] == "active" && (long?)status["observedVersion"] == 2;
        }, TimeSpan.FromSeconds(30), "the network to be active at version 2");
    }

    private static async Task AssertRefusedAsync(ApiClient api, string cidr, string names)
    {
        var name = ApiClient.UniqueName("host");
        using var response = await api.PostAsync("/api/v1/networks", new JsonObject { ["name"] = name, ["spec"] = new JsonObject { ["ipv4Cidr"] = cidr } });
        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        var messages = string.Join(" ", problem["errors"]!["spec.ipv4Cidr"]!.AsArray().Select(m => (string?)m));
        Assert.Contains("overlaps what this host uses itself", messages, StringComparison.Ordinal);
        Assert.Contains(names, messages, StringComparison.Ordinal);
        Assert.DoesNotContain(await api.ListAllAsync("networks"), n => (string?)n["name"] == name);
    }

    /// <summary>The IPv4 address of the interface the default route leaves through.</summary>
    private static (UnicastIPAddressInformation Address, string Nic) PrimaryIpv4()
    {
        var defaultRoute = File.ReadAllLines("/proc/net/route").Skip(1).Select(l => l.Split('\t', StringSplitOptions.TrimEntries))
            .FirstOrDefault(f => f.Length > 7 && f[1] == "00000000" && f[7] == "00000000");
        Assert.True(defaultRoute is not null, "precondition: this machine has an IPv4 default route");
        var nic = NetworkInterface.GetAllNetworkInterfaces().Single(n => n.Name == defaultRoute![0]);
        var address = nic.GetIPProperties().UnicastAddresses.First(a => a.Address.AddressFamily == AddressFamily.InterNetwork);
        return (address, nic.Name);
    }

    private static bool IsActive(string name)
    {
        using var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver);
        using var network = libvirt.FindNetwork(name);
        return network?.IsActive == true;
    }

    private sealed class MutableHostFacts : IHostNetworkFacts
    {
        public volatile IReadOnlyList<HostClaim> Claims = [];

        public IReadOnlyList<HostClaim> Read() => Claims;
    }
}
