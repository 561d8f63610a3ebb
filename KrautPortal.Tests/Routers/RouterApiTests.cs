using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// The routers kind through the real API on libvirt's test driver: what a router may serve (validation naming the
/// field), one per network even when asked twice at once, nobody else's network, the router VM Kraut makes (hidden from
/// its owner, counted as theirs), Kraut's hidden uplink, and switching off or deleting the network removing it all.
/// </summary>
public sealed class RouterApiTests(RouterApiPortal portal) : IClassFixture<RouterApiPortal>
{
    private HttpClient Alice => portal.As("alice");

    private async Task<JsonObject> RefusedAsync(string user, JsonObject body, HttpStatusCode status, params string[] detail)
    {
        using var response = await portal.As(user).PostAsync("/api/v1/routers", ApiClient.Json(body));
        return await ApiClient.AssertProblemAsync(response, status, detail);
    }

    private static string[] Errors(JsonObject problem, string field) =>
        problem["errors"]?[field]?.AsArray().Select(e => (string)e!).ToArray() ?? [];

    [Fact]
    public async Task ARouter_IsRefused_NamingTheField_ForEveryNetworkItCannotServe()
    {
        var hostGateway = await portal.NetworkAsync("alice", new JsonObject { ["gateway"] = new JsonObject { ["kind"] = "host", ["nat"] = true } });
        var v6Only = await portal.NetworkAsync("alice", new JsonObject { ["ipv6Prefix"] = $"fd4b:7261:7574:{Random.Shared.Next(0x100, 0xfff):x}::/64" }, ipv4: false);
        var mine = await portal.NetworkAsync("alice");
        var missing = Guid.NewGuid();

        var gateway = await RefusedAsync("alice", RouterApiPortal.RouterBody(hostGateway), HttpStatusCode.UnprocessableEntity);
        Assert.Contains(Errors(gateway, "spec.networkId"), e => e.Contains("already has a gateway (the host)", StringComparison.Ordinal) && e.Contains("set the network's gateway to none", StringComparison.Ordinal));
        var noV4 = await RefusedAsync("alice", RouterApiPortal.RouterBody(v6Only), HttpStatusCode.UnprocessableEntity);
        Assert.Contains(Errors(noV4, "spec.networkId"), e => e.Contains("no IPv4 subnet", StringComparison.Ordinal));
        var nowhere = await RefusedAsync("alice", RouterApiPortal.RouterBody(missing), HttpStatusCode.UnprocessableEntity);
        Assert.Contains($"There is no network with id {missing}.", Errors(nowhere, "spec.networkId"));

        var self = await RefusedAsync("alice", RouterApiPortal.RouterBody(mine, upstream: mine), HttpStatusCode.UnprocessableEntity);
        Assert.Contains(Errors(self, "spec.upstreamNetworkId"), e => e.Contains("another network", StringComparison.Ordinal));
        var v6Upstream = await RefusedAsync("alice", RouterApiPortal.RouterBody(mine, upstream: v6Only), HttpStatusCode.UnprocessableEntity);
        Assert.Contains(Errors(v6Upstream, "spec.upstreamNetworkId"), e => e.Contains("no IPv4 subnet", StringComparison.Ordinal));

        var badCidr = await RefusedAsync("alice", RouterApiPortal.RouterBody(mine, geekMode: new JsonObject
        {
            ["enabled"] = true,
            ["sourceCidrs"] = new JsonArray("203.0.113.0/24", "203.0.113.7/24", "office"),
        }), HttpStatusCode.UnprocessableEntity);
        Assert.Empty(Errors(badCidr, "spec.geekMode.sourceCidrs[0]"));
        Assert.Contains(Errors(badCidr, "spec.geekMode.sourceCidrs[1]"), e => e.Contains("'203.0.113.7/24'", StringComparison.Ordinal));
        Assert.Contains(Errors(badCidr, "spec.geekMode.sourceCidrs[2]"), e => e.Contains("'office'", StringComparison.Ordinal));

        // Nothing half-made: none of these left a router behind.
        var routers = await portal.Api.ListAllAsync("routers");
        Assert.DoesNotContain(routers, r => (Guid?)r["spec"]!["networkId"] is { } n && (n == hostGateway || n == v6Only || n == missing || n == mine));
    }

    [Fact]
    public async Task SomeoneElsesNetwork_IsNotFound_AsGetSaysIt_AndASharedOneIsNotTheirs()
    {
        var bobs = await portal.NetworkAsync("bob");
        var mine = await portal.NetworkAsync("alice");

        using (var get = await Alice.GetAsync($"/api/v1/networks/{bobs}"))
            await ApiClient.AssertProblemAsync(get, HttpStatusCode.NotFound, $"There is no network with id {bobs}.");
        var serve = await RefusedAsync("alice", RouterApiPortal.RouterBody(bobs), HttpStatusCode.UnprocessableEntity);
        Assert.Equal([$"There is no network with id {bobs}."], Errors(serve, "spec.networkId"));
        var upstream = await RefusedAsync("alice", RouterApiPortal.RouterBody(mine, upstream: bobs), HttpStatusCode.UnprocessableEntity);
        Assert.Equal([$"There is no network with id {bobs}."], Errors(upstream, "spec.upstreamNetworkId"));

        // The seeded default network is readable by everyone, but no one's own: a router of alice cannot serve it.
        var shared = (await portal.Api.SeededAsync()).DefaultNetworkId;
        var notHers = await RefusedAsync("alice", RouterApiPortal.RouterBody(shared), HttpStatusCode.UnprocessableEntity);
        Assert.Contains(Errors(notHers, "spec.networkId"), e => e.Contains("belongs to shared", StringComparison.Ordinal) && e.Contains("alice", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ANetwork_HasOneRouter_EvenWhenTwoAreAskedForAtOnce_AndItsNetworkCannotChange()
    {
        var network = await portal.NetworkAsync("alice");
        var other = await portal.NetworkAsync("alice");

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Alice.PostAsync("/api/v1/routers", ApiClient.Json(RouterApiPortal.RouterBody(network)))));
        try
        {
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
            foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
            {
                var problem = await ApiClient.AssertProblemAsync(refused, HttpStatusCode.UnprocessableEntity);
                Assert.Contains(Errors(problem, "spec.networkId"), e => e.Contains("already has a router", StringComparison.Ordinal));
            }
        }
        finally
        {
            foreach (var r in responses) r.Dispose();
        }
        var router = (await portal.Api.ListAllAsync("routers")).Single(r => (Guid)r["spec"]!["networkId"]! == network);

        using var move = await Alice.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/routers/{router["id"]}")
        {
            Content = ApiClient.Json(new JsonObject { ["spec"] = new JsonObject { ["networkId"] = other } }, "application/merge-patch+json"),
        });
        var moved = await ApiClient.AssertProblemAsync(move, HttpStatusCode.UnprocessableEntity);
        Assert.Contains(Errors(moved, "spec.networkId"), e => e.Contains("stays on its network", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheRouterVm_IsAlicesSystemVm_HiddenFromHerListsAndSelectors_ButCountedInHerUsage()
    {
        var network = await portal.NetworkAsync("alice");
        var router = await portal.CreateRouterAsync("alice", RouterApiPortal.RouterBody(network));
        var id = (Guid)router["id"]!;

        var vm = await portal.RouterVmAsync(id, v => (string?)v["status"]!["phase"] == "running", "to run");
        var vmId = (Guid)vm["id"]!;
        Assert.True((bool)vm["system"]!);
        Assert.Equal("alice", (string?)vm["owner"]);
        Assert.Equal(id.ToString(), (string?)vm["metadata"]!["kraut-router"]);
        // NIC 0 upstream (Kraut's uplink here), NIC 1 on the network it routes; the router's status names both addresses.
        var nics = vm["spec"]!["nics"]!.AsArray();
        Assert.Equal(network, (Guid)nics[1]!["networkId"]!);
        var status = (await portal.WaitForRouterAsync(id, r => r["status"]?["address"] is not null, "to know its addresses"))["status"]!;
        Assert.Equal((string?)nics[1]!["ipv4Address"], (string?)status["address"]);
        Assert.Equal((string?)nics[0]!["ipv4Address"], (string?)status["upstreamAddress"]);
        Assert.Equal((Guid)nics[0]!["networkId"]!, (Guid)status["upstreamNetworkId"]!);

        var listed = JsonNode.Parse(await Alice.GetStringAsync("/api/v1/vms?limit=500"))!["items"]!.AsArray();
        Assert.DoesNotContain(listed, v => (Guid)v!["id"]! == vmId);
        var selected = JsonNode.Parse(await Alice.GetStringAsync("/api/v1/vms?limit=500&selector=" + Uri.EscapeDataString("kraut-router=" + id)))!["items"]!.AsArray();
        Assert.Empty(selected);
        using (var get = await Alice.GetAsync($"/api/v1/vms/{vmId}"))
            await ApiClient.AssertProblemAsync(get, HttpStatusCode.NotFound);
        // Her router she sees, with its status.
        using (var own = await Alice.GetAsync($"/api/v1/routers/{id}"))
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);

        await using var scope = portal.App.Services.CreateAsyncScope();
        var usage = await scope.ServiceProvider.GetRequiredService<ResourceStore>().UsageAsync("alice", CancellationToken.None);
        Assert.True(usage.GetValueOrDefault("vms") >= 1, "alice's usage counts her router VM");
        Assert.True(usage.GetValueOrDefault("routers") >= 1);
    }

    [Fact]
    public async Task RoutersWithoutAnUpstream_ShareOneHiddenUplink_NatedByTheHost()
    {
        var a = await portal.CreateRouterAsync("alice", RouterApiPortal.RouterBody(await portal.NetworkAsync("alice")));
        var b = await portal.CreateRouterAsync("bob", RouterApiPortal.RouterBody(await portal.NetworkAsync("bob")));

        var upA = (Guid)(await portal.WaitForRouterAsync((Guid)a["id"]!, r => r["status"]?["upstreamNetworkId"] is not null, "to have an upstream"))["status"]!["upstreamNetworkId"]!;
        var upB = (Guid)(await portal.WaitForRouterAsync((Guid)b["id"]!, r => r["status"]?["upstreamNetworkId"] is not null, "to have an upstream"))["status"]!["upstreamNetworkId"]!;
        Assert.Equal(upA, upB);

        var uplink = await portal.Api.GetAsync($"/api/v1/networks/{upA}");
        Assert.True((bool)uplink["system"]!);
        Assert.Equal(Actor.SharedOwner, (string?)uplink["owner"]);
        Assert.Equal("host", (string?)uplink["spec"]!["gateway"]!["kind"]);
        Assert.True((bool)uplink["spec"]!["gateway"]!["nat"]!);
        using (var hidden = await Alice.GetAsync($"/api/v1/networks/{upA}"))
            await ApiClient.AssertProblemAsync(hidden, HttpStatusCode.NotFound);
        var aliceSees = JsonNode.Parse(await Alice.GetStringAsync("/api/v1/networks?limit=500"))!["items"]!.AsArray();
        Assert.DoesNotContain(aliceSees, n => (Guid)n!["id"]! == upA);
        Assert.Single(await portal.Api.ListAllAsync("networks"), n => (string?)n["name"] == "kraut-uplink");
    }

    [Fact]
    public async Task ANewUpstream_MovesTheRouterVmsFirstLeg_AndRestartsItCold()
    {
        var network = await portal.NetworkAsync("alice");
        var first = await portal.NetworkAsync("alice");
        var second = await portal.NetworkAsync("alice");
        var id = (Guid)(await portal.CreateRouterAsync("alice", RouterApiPortal.RouterBody(network, first)))["id"]!;
        var before = await portal.RouterVmAsync(id, v => (string?)v["status"]!["phase"] == "running", "to run");
        Assert.Equal(first, (Guid)before["spec"]!["nics"]![0]!["networkId"]!);

        using (var move = await Alice.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/routers/{id}")
        {
            Content = ApiClient.Json(new JsonObject { ["spec"] = new JsonObject { ["upstreamNetworkId"] = second } }, "application/merge-patch+json"),
        }))
        {
            Assert.Equal(HttpStatusCode.OK, move.StatusCode);
        }

        var after = await portal.RouterVmAsync(id, v => (Guid)v["spec"]!["nics"]![0]!["networkId"]! == second, "to have its upstream leg on the new network");
        Assert.Equal((Guid)before["id"]!, (Guid)after["id"]!);
        var nics = after["spec"]!["nics"]!.AsArray();
        Assert.Equal(2, nics.Count);
        Assert.Equal(network, (Guid)nics[1]!["networkId"]!);
        Assert.Equal((string?)before["spec"]!["nics"]![1]!["mac"], (string?)nics[1]!["mac"]);
        Assert.True((long)after["spec"]!["forceOffGeneration"]! > (long)before["spec"]!["forceOffGeneration"]!, "the router VM restarts cold, so the new leg is eth0");
        var status = (await portal.WaitForRouterAsync(id, r => (Guid?)r["status"]?["upstreamNetworkId"] == second, "to report the new upstream"))["status"]!;
        Assert.Equal((string?)nics[0]!["ipv4Address"], (string?)status["upstreamAddress"]);
        // The old upstream holds the router no longer.
        using var old = await Alice.DeleteAsync($"/api/v1/networks/{first}");
        Assert.Equal(HttpStatusCode.Accepted, old.StatusCode);
    }

    [Fact]
    public async Task ALimitedToken_NeedsTheRoutersKind()
    {
        var network = await portal.NetworkAsync("alice");
        async Task<string> TokenAsync(params string[] kinds)
        {
            using var response = await Alice.PostAsync("/api/v1/tokens", ApiClient.Json(AuthorizationPortal.TokenBody(ApiClient.UniqueName("t"), ["read", "create"], kinds)));
            var json = await ApiClient.ReadAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.Created, json.ToJsonString());
            return (string)json["secret"]!;
        }
        using var vmsOnly = portal.App.CreateAnonymousClient();
        vmsOnly.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + await TokenAsync("vms", "networks"));
        using (var refused = await vmsOnly.PostAsync("/api/v1/routers", ApiClient.Json(RouterApiPortal.RouterBody(network))))
            await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Forbidden, "routers");
        using (var list = await vmsOnly.GetAsync("/api/v1/routers"))
            await ApiClient.AssertProblemAsync(list, HttpStatusCode.Forbidden, "routers");

        using var routers = portal.App.CreateAnonymousClient();
        routers.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + await TokenAsync("routers"));
        using var created = await routers.PostAsync("/api/v1/routers", ApiClient.Json(RouterApiPortal.RouterBody(network)));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("alice", (string?)(await ApiClient.ReadAsync(created))["owner"]);
    }

    [Fact]
    public async Task SwitchingOff_RemovesTheRouterVmThenTheRouter()
    {
        var network = await portal.NetworkAsync("alice");
        var id = (Guid)(await portal.CreateRouterAsync("alice", RouterApiPortal.RouterBody(network)))["id"]!;
        var vmId = (Guid)(await portal.RouterVmAsync(id, v => v["status"]!["domainDefined"]?.GetValue<bool>() == true, "to be defined"))["id"]!;

        using (var off = await Alice.DeleteAsync($"/api/v1/routers/{id}"))
            Assert.Equal(HttpStatusCode.Accepted, off.StatusCode);

        await Eventually.WaitUntilAsync(async () => await portal.Api.FindAsync("routers", id) is null, TimeSpan.FromSeconds(20), "the router to be gone");
        Assert.Null(await portal.Api.FindAsync("vms", vmId));
        Assert.DoesNotContain(vmId, portal.Api.InstanceDomains());
        // The network stays; it can have a router again.
        await portal.CreateRouterAsync("alice", RouterApiPortal.RouterBody(network));
    }

    [Fact]
    public async Task DeletingTheNetwork_DeletesItsRouterAndRouterVm_ButAnUpstreamInUseIsKept()
    {
        var network = await portal.NetworkAsync("alice");
        var upstream = await portal.NetworkAsync("alice");
        var id = (Guid)(await portal.CreateRouterAsync("alice", RouterApiPortal.RouterBody(network, upstream)))["id"]!;
        var vmId = (Guid)(await portal.RouterVmAsync(id, v => v["status"]!["domainDefined"]?.GetValue<bool>() == true, "to be defined"))["id"]!;

        // The upstream carries the router's other leg: it is not the network's router, so it keeps the network in use.
        using (var upstreamDelete = await Alice.DeleteAsync($"/api/v1/networks/{upstream}"))
            await ApiClient.AssertProblemAsync(upstreamDelete, HttpStatusCode.Conflict, "is the upstream of the router of network");

        using (var delete = await Alice.DeleteAsync($"/api/v1/networks/{network}"))
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        await Eventually.WaitUntilAsync(async () => await portal.Api.FindAsync("networks", network) is null, TimeSpan.FromSeconds(30), "the network to be gone");
        // The network goes once the router's VM (its last member) is gone; the router's own record is removed by the
        // router reconciler right after, not necessarily before the network's record (a full run saw it a moment later).
        await Eventually.WaitUntilAsync(async () => await portal.Api.FindAsync("routers", id) is null, TimeSpan.FromSeconds(30), "the router to be gone");
        Assert.Null(await portal.Api.FindAsync("vms", vmId));
        Assert.DoesNotContain(vmId, portal.Api.InstanceDomains());

        using (var upstreamNow = await Alice.DeleteAsync($"/api/v1/networks/{upstream}"))
            Assert.Equal(HttpStatusCode.Accepted, upstreamNow.StatusCode);
    }
}
