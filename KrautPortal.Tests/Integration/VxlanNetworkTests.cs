using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Integration;

/// <summary>
/// A network's VXLAN link on the real host, driven through the API on real libvirtd (no guest): made with the
/// network, kept in step with its spec, removed with it, and collected after a crash.
/// </summary>
public sealed class VxlanNetworkTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task NetworkWithVxlan_GetsItsLink_FollowsSpecChanges_AndLosesItWithTheNetwork()
    {
        using var api = new ApiClient(new KrautAppFactory(KrautAppFactory.SystemDriver, seedImage: "blank"));
        var vni = Random.Shared.Next(100_000, 16_000_000);
        var created = await api.CreateAsync("networks", VxlanNetwork("vx-fast", vni, 4791, "198.51.100.21", "198.51.100.22"));
        var id = (Guid)created["id"]!;

        var status = await WaitForStatusAsync(api, id, s => s["vxlan"] is JsonObject v && (int)v["vni"]! == vni, "the VXLAN link in the status");
        var name = (string)status["vxlan"]!["interface"]!;
        Assert.Matches("^kx[0-9a-f]{13}$", name);
        var link = HostLinks.Show(name)!.Value;
        Assert.Equal(vni, HostLinks.Vni(link));
        Assert.Equal(4791, HostLinks.Port(link));
        Assert.Equal((string)status["bridge"]!, HostLinks.Master(link));
        Assert.Equal(HostLinks.RouteMtu("198.51.100.21") - 50, link.GetProperty("mtu").GetInt32());
        Assert.Equal(["198.51.100.21", "198.51.100.22"], HostLinks.Remotes(name));

        // The portal's network page shows the same link.
        var page = await api.Http.GetStringAsync($"/networks/{id}");
        Assert.Contains(name, page, StringComparison.Ordinal);
        Assert.Contains($"up, port of {(string)status["bridge"]!}", page, StringComparison.Ordinal);

        // New remotes: the FDB follows, the link stays.
        var ifindex = link.GetProperty("ifindex").GetInt32();
        await PatchVxlanAsync(api, id, new JsonObject { ["vni"] = vni, ["port"] = 4791, ["remotes"] = new JsonArray("198.51.100.22", "198.51.100.23") });
        await Eventually.WaitUntilAsync(() => HostLinks.RemotesIfPresent(name)?.SequenceEqual(["198.51.100.22", "198.51.100.23"]) == true, Settle, "the new remotes on the link");
        Assert.Equal(ifindex, HostLinks.Show(name)!.Value.GetProperty("ifindex").GetInt32());

        // VXLAN taken off the network: the link goes, the network stays.
        using (var response = await api.PatchAsync($"/api/v1/networks/{id}", new JsonObject { ["spec"] = new JsonObject { ["vxlan"] = null } }))
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        await Eventually.WaitUntilAsync(() => HostLinks.Show(name) is null, Settle, "the link to go with the VXLAN");
        await WaitForStatusAsync(api, id, s => s["vxlan"] is null && (string?)s["phase"] == "active", "the status without VXLAN");

        // Back on, then the network deleted: the link goes with it.
        await PatchVxlanAsync(api, id, new JsonObject { ["vni"] = vni, ["port"] = 4791, ["remotes"] = new JsonArray("198.51.100.21") });
        await Eventually.WaitUntilAsync(() => HostLinks.Show(name) is not null, Settle, "the link to come back");
        using (var response = await api.DeleteAsync($"/api/v1/networks/{id}"))
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        await Eventually.WaitUntilAsync(async () => await api.FindAsync("networks", id) is null, Settle, "the network to be deleted");
        Assert.Null(HostLinks.Show(name));
    }

    [Fact]
    public async Task LibvirtNetworkRestartedBehindKraut_LinkJoinsTheNewBridgeWithinSeconds()
    {
        using var api = new ApiClient(new KrautAppFactory(KrautAppFactory.SystemDriver, seedImage: "blank"));
        var created = await api.CreateAsync("networks", VxlanNetwork("vx-restart", Random.Shared.Next(100_000, 16_000_000), 4791, "198.51.100.41"));
        var id = (Guid)created["id"]!;
        var status = await WaitForStatusAsync(api, id, s => s["vxlan"] is not null, "the VXLAN link");
        var name = (string)status["vxlan"]!["interface"]!;

        // A restart deletes the bridge under the link; libvirt may bring the network back on another bridge.
        using (var libvirt = KrautPortal.Hypervisor.LibvirtConnection.Open(KrautAppFactory.SystemDriver))
        using (var network = libvirt.FindNetwork((string)status["libvirtName"]!)!)
        {
            network.Destroy();
            Assert.Null(HostLinks.Master(HostLinks.Show(name)!.Value));
            network.Start();
        }

        // Well inside the 30 s poll: the kernel's link event has the network reconciled at once.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string? bridge = null;
        await Eventually.WaitUntilAsync(() =>
        {
            using var libvirt = KrautPortal.Hypervisor.LibvirtConnection.Open(KrautAppFactory.SystemDriver);
            using var network = libvirt.FindNetwork((string)status["libvirtName"]!)!;
            bridge = network.GetBridgeName();
            return bridge is not null && HostLinks.Master(HostLinks.Show(name)!.Value) == bridge;
        }, TimeSpan.FromSeconds(10), "the link to join the restarted network's bridge");
        Console.WriteLine($"VXLAN link back on {bridge} {clock.Elapsed.TotalSeconds:0.0} s after the restart");
    }

    [Fact]
    public async Task VxlanTheKernelRefuses_IsReportedInTheNetworkStatus()
    {
        using var api = new ApiClient(new KrautAppFactory(KrautAppFactory.SystemDriver, seedImage: "blank"));
        var body = VxlanNetwork("vx-bad", Random.Shared.Next(100_000, 16_000_000), 4791, "198.51.100.21");
        body["spec"]!["vxlan"]!["device"] = "kxnosuchdev0";
        var id = (Guid)(await api.CreateAsync("networks", body))["id"]!;

        var status = await WaitForStatusAsync(api, id, s => (string?)s["phase"] == "failed", "the network to fail");
        Assert.StartsWith("VXLAN: ", (string)status["message"]!, StringComparison.Ordinal);
        Assert.Contains("kxnosuchdev0", (string)status["message"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinksLeftByACrash_AreRemovedAtStart_OthersAreKept()
    {
        await using var portal = new PortalProcess(KrautAppFactory.SystemDriver, seedImage: null);
        await portal.StartAsync();
        var instance = portal.InstanceId()!;
        var vni = Random.Shared.Next(100_000, 16_000_000);
        string kept;
        using (var client = portal.CreateClient())
        {
            var response = await client.PostAsync("/api/v1/networks", ApiClient.Json(VxlanNetwork("vx-kept", vni, 4792, "198.51.100.31")));
            var created = await ApiClient.ReadAsync(response);
            Assert.True(response.IsSuccessStatusCode, created.ToJsonString());
            var id = (Guid)created["id"]!;
            kept = await Eventually.WaitForAsync(async () =>
                (string?)(await ApiClient.ReadAsync(await client.GetAsync($"/api/v1/networks/{id}")))["status"]?["vxlan"]?["interface"], Settle, "the link");
        }
        portal.Kill();

        // What a crash could leave: a link of this instance whose network is gone (an outside connection's, and a span
        // link of a network across hosts). And another instance's link.
        var orphan = $"kx{instance[..4]}{HostLinks.RandomSuffix(9)}";
        var spanOrphan = $"ky{instance[..4]}{HostLinks.RandomSuffix(9)}";
        var foreign = $"kx{(instance[..4] == "ffff" ? "eeee" : "ffff")}{HostLinks.RandomSuffix(9)}";
        Tool.Run("ip", "link", "add", orphan, "type", "vxlan", "id", (vni + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "dstport", "4792");
        Tool.Run("ip", "link", "add", foreign, "type", "vxlan", "id", (vni + 2).ToString(System.Globalization.CultureInfo.InvariantCulture), "dstport", "4792");
        Tool.Run("ip", "link", "add", spanOrphan, "type", "vxlan", "id", (vni + 3).ToString(System.Globalization.CultureInfo.InvariantCulture), "dstport", "8472");
        try
        {
            await portal.StartAsync();
            await Eventually.WaitUntilAsync(() => HostLinks.Show(orphan) is null, Settle, "the orphan link to be removed");
            await Eventually.WaitUntilAsync(() => HostLinks.Show(spanOrphan) is null, Settle, "the orphan span link to be removed");
            Assert.NotNull(HostLinks.Show(foreign));
            Assert.NotNull(HostLinks.Show(kept));
        }
        finally
        {
            HostLinks.Delete(orphan);
            HostLinks.Delete(spanOrphan);
            HostLinks.Delete(foreign);
        }
    }

    internal static JsonObject VxlanNetwork(string name, int vni, int port, params string[] remotes) => new()
    {
        ["name"] = name + "-" + HostLinks.RandomSuffix(6),
        ["metadata"] = new JsonObject(),
        ["spec"] = new JsonObject
        {
            ["ipv4Cidr"] = $"10.{Random.Shared.Next(160, 200)}.{Random.Shared.Next(0, 256)}.0/24",
            ["vxlan"] = new JsonObject { ["vni"] = vni, ["port"] = port, ["remotes"] = new JsonArray(remotes.Select(r => (JsonNode)r).ToArray()) },
        },
    };

    private static async Task PatchVxlanAsync(ApiClient api, Guid id, JsonObject vxlan)
    {
        // Merge patch replaces arrays whole, so the remotes given are the remotes wanted.
        using var response = await api.PatchAsync($"/api/v1/networks/{id}", new JsonObject { ["spec"] = new JsonObject { ["vxlan"] = vxlan } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    internal static async Task<JsonObject> WaitForStatusAsync(ApiClient api, Guid id, Func<JsonObject, bool> condition, string what)
    {
        JsonObject? last = null;
        try
        {
            return await Eventually.WaitForAsync(async () =>
            {
                last = (await api.GetAsync($"/api/v1/networks/{id}"))["status"]!.AsObject();
                return condition(last) ? last : null;
            }, Settle, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last status: {last?.ToJsonString()}", e);
        }
    }
}
