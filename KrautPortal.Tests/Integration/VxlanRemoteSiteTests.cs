using System.Diagnostics;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using Xunit.Abstractions;

namespace KrautPortal.Tests.Integration;

/// <summary>
/// VXLAN end to end on real libvirtd + QEMU + dnsmasq: a network bridged by VXLAN to a "remote site" in a
/// network namespace; a real guest on the network, addressed by the host's DHCP, and the site reach each other.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class VxlanRemoteSiteTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task GuestAndRemoteSite_ReachEachOtherOverVxlan()
    {
        var vni = Random.Shared.Next(100_000, 16_000_000);
        var prefix = $"10.{Random.Shared.Next(160, 200)}.{Random.Shared.Next(0, 256)}";
        using var site = new RemoteSite(vni, 4789, $"{prefix}.20/24");
        using var api = new ApiClient(new KrautAppFactory(KrautAppFactory.SystemDriver, seedImage: "guest"));

        var body = VxlanNetworkTests.VxlanNetwork("vx-site", vni, 4789, site.SiteUnderlay);
        body["spec"]!["ipv4Cidr"] = $"{prefix}.0/24";
        body["spec"]!["excluded"] = new JsonArray($"{prefix}.20"); // the site's own address on the overlay
        var networkId = (Guid)(await api.CreateAsync("networks", body))["id"]!;
        var status = await VxlanNetworkTests.WaitForStatusAsync(api, networkId, s => s["vxlan"] is not null, "the network's VXLAN link");
        Assert.Equal([site.SiteUnderlay], status["vxlan"]!["remotes"]!.AsArray().Select(r => (string)r!));
        Assert.Equal(1450, (int)status["vxlan"]!["mtu"]!); // the veth's 1500 minus VXLAN's 50

        // Guest to site, started by the guest: its user-data pings the site and fetches the site's page.
        var nonce = HostLinks.RandomSuffix(12);
        site.ServeHttp(8080, $"kraut-remote-site {nonce}\n");
        var vm = await api.SampleAsync("vms", "vx-guest");
        vm["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = networkId });
        // Reachability, not loss statistics: single echoes over this link are lost now and then (seen before today's
        // changes too; an open question in the closing note), so the guest pings until the site answers, then fetches.
        vm["spec"]!["userData"] = $"#!/bin/sh\nfor i in 1 2 3 4 5 6 7 8 9 10; do ping -c 1 -W 2 {site.OverlayAddress} && break; done\n"
            + $"wget -q -O - http://{site.OverlayAddress}:8080/\n";

        var clock = Stopwatch.StartNew();
        var vmId = (Guid)(await api.CreateAsync("vms", vm))["id"]!;
        var console = Path.Combine(api.App.DataDirectory, "consoles", $"{vmId}.log");
        var (_, guestIp, guestMac) = await GuestConsole.WaitForReadyAsync(console, Boot);
        output.WriteLine($"guest {guestMac} got {guestIp} from the host's DHCP {clock.Elapsed.TotalSeconds:0.0} s after create");
        Assert.StartsWith(prefix + ".", guestIp, StringComparison.Ordinal);

        // Guest to site: the guest's own DHCP broadcasts crossed the tunnel before the site sent it anything,
        // so the site's VTEP learned the guest's MAC behind the host's VTEP.
        await Eventually.WaitUntilAsync(() => HostLinks.Learned(RemoteSite.Vxlan, site.Namespace).GetValueOrDefault(guestMac) == site.HostUnderlay,
            TimeSpan.FromSeconds(30), $"the site to learn {guestMac} from {site.HostUnderlay}");

        var userData = await Eventually.WaitForAsync(() =>
        {
            var text = GuestConsole.Read(console);
            var start = text.IndexOf("KRAUT-GUEST-USERDATA-START", StringComparison.Ordinal);
            var end = text.IndexOf("KRAUT-GUEST-USERDATA-EXIT=", StringComparison.Ordinal);
            return Task.FromResult(start >= 0 && end > start ? text[start..(end + "KRAUT-GUEST-USERDATA-EXIT=0".Length)] : null);
        }, Boot, "the guest's user-data to finish");
        output.WriteLine(userData);
        Assert.Contains($"kraut-remote-site {nonce}", userData, StringComparison.Ordinal);
        Assert.Contains($"bytes from {site.OverlayAddress}", userData, StringComparison.Ordinal);
        Assert.EndsWith("KRAUT-GUEST-USERDATA-EXIT=0", userData, StringComparison.Ordinal);

        // Site to guest and back: ping, then the guest's web page.
        // busybox-static: setup-host.sh installs it for the guest image. An answered echo, as above.
        var ping = await Eventually.WaitForAsync(() =>
        {
            var (code, stdout, _) = site.TryInSite("busybox", "ping", "-c", "1", "-W", "2", guestIp);
            return Task.FromResult(code == 0 ? stdout : null);
        }, TimeSpan.FromSeconds(30), $"ping from the site to {guestIp}");
        output.WriteLine(ping);
        Assert.Contains($"bytes from {guestIp}", ping, StringComparison.Ordinal);

        var page = site.InSite("curl", "-sS", "--max-time", "10", $"http://{guestIp}/");
        Assert.Contains("kraut-guest", page, StringComparison.Ordinal);

        // The guest's ARP answer reached the site: its neighbour entry holds the guest's MAC.
        var neighbour = site.InSite("ip", "neigh", "show", guestIp, "dev", RemoteSite.Vxlan);
        Assert.Contains($"lladdr {guestMac}", neighbour, StringComparison.Ordinal);

        // The host's link is what the status says: up, a port of the network's bridge, sending to the site.
        var name = (string)status["vxlan"]!["interface"]!;
        // (Read afresh: creating the VM may have restarted the idle libvirt network on a new bridge.)
        status = await VxlanNetworkTests.WaitForStatusAsync(api, networkId, s => s["vxlan"] is not null, "the network's status");
        var link = HostLinks.Show(name)!.Value;
        Assert.Equal(vni, HostLinks.Vni(link));
        Assert.Equal((string)status["bridge"]!, HostLinks.Master(link));
        Assert.Equal((string)status["bridge"]!, (string)status["vxlan"]!["bridge"]!);

        // The tunnel is the only way between them: without the site among the remotes, the guest's answers stop.
        using (var response = await api.PatchAsync($"/api/v1/networks/{networkId}", new JsonObject
        {
            ["spec"] = new JsonObject { ["vxlan"] = new JsonObject { ["vni"] = vni, ["port"] = 4789, ["remotes"] = new JsonArray() } },
        }))
        {
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
        await Eventually.WaitUntilAsync(() => HostLinks.RemotesIfPresent(name) is { Count: 0 }, TimeSpan.FromSeconds(30), "the site to leave the host's remotes");
        Assert.NotEqual(0, site.TryInSite("busybox", "ping", "-c", "2", "-W", "1", guestIp).ExitCode);
    }
}
