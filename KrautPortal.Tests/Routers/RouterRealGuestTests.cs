using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;
using KrautPortal.Hypervisor.Routers;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// A router switched on through the API, on real libvirtd + QEMU with the real appliance: it reaches Active with the
/// preview's hash in force, a firewall change is loaded without a reboot, a router VM destroyed and undefined with virsh
/// comes back with its ruleset, and deleting the network takes the router, its VM and its domain along. (That the
/// ruleset does what it says is proven by traffic in the Traffic* tests.)
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class RouterRealGuestTests : IDisposable
{
    /// <summary>Boot under TCG plus the first apply, on a machine shared with other runs.</summary>
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(240);

    private readonly KrautAppFactory _app = new(KrautAppFactory.SystemDriver, seedImage: SeedImages.Guest);
    private readonly ApiClient _api;

    public RouterRealGuestTests()
    {
        // Before the portal starts (on first use), so its start-up registers the appliance.
        File.Copy(RouterAppliance.ImagePath, Path.Combine(_app.DataDirectory, "seed", RouterApplianceRegistry.ImageFile));
        _api = new ApiClient(_app);
    }

    public void Dispose() => _api.Dispose();

    [Fact]
    public async Task ARouter_RunsThePreviewedRuleset_TakesAChangeWithoutReboot_ComesBackFromVirsh_AndGoesWithItsNetwork()
    {
        var (upPrefix, innerPrefix) = (TestSubnets.FreePrefix(150, 170), TestSubnets.FreePrefix(150, 170));
        var upstream = await NetworkAsync("rt-up", new JsonObject
        {
            ["ipv4Cidr"] = $"{upPrefix}.0/24",
            ["gateway"] = new JsonObject { ["kind"] = "host", ["nat"] = true },
        });
        var inner = await NetworkAsync("rt-inner", new JsonObject { ["ipv4Cidr"] = $"{innerPrefix}.0/24" });
        var firewall = (Guid)(await _api.CreateAsync("firewalls", new JsonObject
        {
            ["name"] = ApiClient.UniqueName("rt-fw"),
            ["spec"] = new JsonObject
            {
                ["networkIds"] = new JsonArray(inner),
                ["rules"] = new JsonArray(new JsonObject { ["direction"] = "inbound", ["action"] = "allow", ["protocol"] = "tcp", ["ports"] = new JsonArray("80") }),
            },
        }))["id"]!;
        var routerId = (Guid)(await _api.CreateAsync("routers", new JsonObject
        {
            ["name"] = ApiClient.UniqueName("rt"),
            ["spec"] = new JsonObject { ["networkId"] = inner, ["upstreamNetworkId"] = upstream },
        }))["id"]!;

        // Switched on: Active, and what it runs is exactly what the preview shows.
        var active = await WaitForAppliedAsync(routerId, firewallVersion: 1);
        var vmId = (Guid)active["vmId"]!;
        var preview = await PreviewAsync(firewall, inner);
        Assert.Equal((string?)preview["hash"], (string?)active["appliedHash"]);
        Assert.Equal((string?)preview["hash"], (string?)preview["loadedHash"]);
        Assert.True((bool)preview["sameAsLoaded"]!);
        Assert.Null(active["applyError"]);
        Assert.Equal(firewall, (Guid)active["firewallId"]!);
        var socket = _app.Service<KrautPaths>().RouterAgentSocketFor(vmId);
        Assert.Equal((string?)active["appliedHash"], (await new RouterAgentClient().LoadedAsync(socket, CancellationToken.None))?.Hash);
        var boots = Boots(vmId);

        // A firewall change is loaded into the running router: a new hash, the same boot.
        using (var change = await _api.PatchAsync($"/api/v1/firewalls/{firewall}", new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["rules"] = new JsonArray(
                    new JsonObject { ["direction"] = "inbound", ["action"] = "allow", ["protocol"] = "tcp", ["ports"] = new JsonArray("80") },
                    new JsonObject { ["direction"] = "inbound", ["action"] = "allow", ["protocol"] = "tcp", ["ports"] = new JsonArray("443"), ["sources"] = new JsonArray("192.0.2.0/24") }),
            },
        }))
        {
            Assert.Equal(HttpStatusCode.OK, change.StatusCode);
        }
        var changed = await WaitForAppliedAsync(routerId, firewallVersion: 2);
        Assert.NotEqual((string?)active["appliedHash"], (string?)changed["appliedHash"]);
        Assert.Equal((string?)(await PreviewAsync(firewall, inner))["hash"], (string?)changed["appliedHash"]);
        Assert.Equal(boots, Boots(vmId));
        Assert.Equal(vmId, (Guid)changed["vmId"]!);

        // Destroyed and undefined behind Kraut's back: the router VM comes back and runs the same ruleset again.
        Tool.Run("virsh", "-c", KrautAppFactory.SystemDriver, "destroy", vmId.ToString());
        Tool.Run("virsh", "-c", KrautAppFactory.SystemDriver, "undefine", vmId.ToString());
        await Eventually.WaitUntilAsync(async () => (string?)(await RouterStatusAsync(routerId))["appliedHash"] is null, TimeSpan.FromSeconds(60),
            "the router's status to say nothing is in force while its VM is gone");
        var back = await WaitForAppliedAsync(routerId, firewallVersion: 2);
        Assert.Equal((string?)changed["appliedHash"], (string?)back["appliedHash"]);
        Assert.Equal(vmId, (Guid)back["vmId"]!);
        using (var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver))
        using (var domain = libvirt.FindDomain(vmId))
        {
            Assert.NotNull(domain);
            Assert.Equal(DomainState.Running, domain.GetState());
        }
        Assert.Equal((string?)back["appliedHash"], (await new RouterAgentClient().LoadedAsync(socket, CancellationToken.None))?.Hash);

        // Deleting the network takes its router and the router VM (domain and all) along.
        using (var delete = await _api.DeleteAsync($"/api/v1/networks/{inner}"))
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        await Eventually.WaitUntilAsync(async () => await _api.FindAsync("networks", inner) is null, TimeSpan.FromSeconds(120), "the network to be gone");
        Assert.Null(await _api.FindAsync("routers", routerId));
        Assert.Null(await _api.FindAsync("vms", vmId));
        using (var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver))
            Assert.Null(libvirt.FindDomain(vmId));
        Assert.False(File.Exists(socket), "the agent socket goes with the router VM");

        using (var fw = await _api.DeleteAsync($"/api/v1/firewalls/{firewall}"))
            Assert.True(fw.IsSuccessStatusCode, $"deleting the firewall gave {(int)fw.StatusCode}");
        using (var up = await _api.DeleteAsync($"/api/v1/networks/{upstream}"))
            Assert.Equal(HttpStatusCode.Accepted, up.StatusCode);
        await Eventually.WaitUntilAsync(async () => await _api.FindAsync("networks", upstream) is null, TimeSpan.FromSeconds(60), "the upstream network to be gone");
    }

    [Fact]
    public async Task ARouterWithoutAnUpstream_GoesOutThroughKrautsUplink_WhereTheHostReachesIt()
    {
        var inner = await NetworkAsync("rt-uplinked", new JsonObject { ["ipv4Cidr"] = $"{TestSubnets.FreePrefix(150, 170)}.0/24" });
        var routerId = (Guid)(await _api.CreateAsync("routers", new JsonObject
        {
            ["name"] = ApiClient.UniqueName("rt-uplinked"),
            ["spec"] = new JsonObject { ["networkId"] = inner },
        }))["id"]!;

        // No firewall: the default policies are rendered and loaded like any ruleset.
        JsonObject? status = null;
        await Eventually.WaitUntilAsync(async () =>
        {
            status = await RouterStatusAsync(routerId);
            return (string?)status["phase"] == "active" && status["appliedHash"] is not null && (string?)status["appliedHash"] == (string?)status["desiredHash"];
        }, Boot, "the uplinked router to run its ruleset");
        var uplinkId = (Guid)status!["upstreamNetworkId"]!;
        Assert.True((bool)(await _api.GetAsync($"/api/v1/networks/{uplinkId}"))["system"]!, "the uplink is a system network");
        var upstreamAddress = (string)status["upstreamAddress"]!;

        // The uplink is a host-NATed network, so the host has a leg on it: the router answers ping there (its ruleset
        // lets echo requests in), which proves the leg is up, addressed, and routed by the host.
        using var ping = new System.Net.NetworkInformation.Ping();
        await Eventually.WaitUntilAsync(async () => (await ping.SendPingAsync(IPAddress.Parse(upstreamAddress), 2000)).Status == System.Net.NetworkInformation.IPStatus.Success,
            TimeSpan.FromSeconds(60), $"the router's uplink address {upstreamAddress} to answer ping from the host");

        using (var delete = await _api.DeleteAsync($"/api/v1/networks/{inner}"))
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        await Eventually.WaitUntilAsync(async () => await _api.FindAsync("routers", routerId) is null, TimeSpan.FromSeconds(120), "the router to go with its network");
    }

    private async Task<Guid> NetworkAsync(string name, JsonObject spec) =>
        (Guid)(await _api.CreateAsync("networks", new JsonObject { ["name"] = ApiClient.UniqueName(name), ["spec"] = spec }))["id"]!;

    private async Task<JsonObject> RouterStatusAsync(Guid id) => (JsonObject)(await _api.GetAsync($"/api/v1/routers/{id}"))["status"]!;

    /// <summary>Waits until the router is Active with firewall version <paramref name="firewallVersion"/> applied as desired.</summary>
    private async Task<JsonObject> WaitForAppliedAsync(Guid id, long firewallVersion)
    {
        JsonObject? last = null;
        try
        {
            return await Eventually.WaitForAsync(async () =>
            {
                last = await RouterStatusAsync(id);
                return (string?)last["phase"] == "active" && (long?)last["appliedFirewallVersion"] == firewallVersion
                    && last["appliedHash"] is not null && (string?)last["appliedHash"] == (string?)last["desiredHash"] ? last : null;
            }, Boot, $"router {id} to run firewall version {firewallVersion}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last seen: {last?.ToJsonString()}", e);
        }
    }

    private async Task<JsonObject> PreviewAsync(Guid firewall, Guid network)
    {
        using var response = await _api.Http.PostAsync($"/api/v1/firewalls/{firewall}/preview", null);
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
        return json["networks"]!.AsArray().Single(n => (Guid)n!["networkId"]! == network)!.AsObject();
    }

    /// <summary>How often the router VM has booted, by its console (a reboot would print its boot line again).</summary>
    private int Boots(Guid vmId)
    {
        var console = _app.Service<KrautPaths>().ConsoleFor(vmId);
        return GuestConsole.Read(console).Split('\n').Count(l => l.Contains("KRAUT-GUEST-BOOTED", StringComparison.Ordinal));
    }
}
