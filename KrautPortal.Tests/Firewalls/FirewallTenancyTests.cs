using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Authorization;

namespace KrautPortal.Tests.Firewalls;

/// <summary>
/// A firewall is its owner's: others cannot see it (preview, counters and routers included), nobody attaches a firewall
/// to someone else's network or forwards to someone else's VM, and a limited token needs the kind and the read verb.
/// </summary>
[Collection(AuthorizationCollection.Name)]
public sealed class FirewallTenancyTests(AuthorizationPortal portal)
{
    private static readonly string[] Extras = ["preview", "counters", "routers"];

    private async Task<JsonObject> FirewallAsync(Caller caller, Guid? network = null, JsonArray? forwards = null)
    {
        var body = new JsonObject
        {
            ["name"] = ApiClient.UniqueName("fw"),
            ["spec"] = new JsonObject
            {
                ["networkIds"] = network is { } n ? new JsonArray(n.ToString()) : new JsonArray(),
                ["rules"] = new JsonArray(new JsonObject { ["protocol"] = "tcp", ["ports"] = new JsonArray("22") }),
                ["forwards"] = forwards ?? new JsonArray(),
            },
        };
        using var response = await portal.Client(caller).PostAsync("/api/v1/firewalls", ApiClient.Json(body));
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, json.ToJsonString());
        return json;
    }

    private static Task<HttpResponseMessage> ExtraAsync(HttpClient client, Guid id, string extra) =>
        extra == "preview" ? client.PostAsync($"/api/v1/firewalls/{id}/preview", null) : client.GetAsync($"/api/v1/firewalls/{id}/{extra}");

    [Fact]
    public async Task SomeoneElsesFirewall_IsNotFound_ForPreviewCountersAndRouters_AsForGet()
    {
        var network = (Guid)(await portal.ArrangeAsync(Owner.Alice, "networks", ApiClient.UniqueName("alice-fw-net")))["id"]!;
        var id = (Guid)(await FirewallAsync(Caller.Alice, network))["id"]!;

        using var get = await portal.Client(Caller.Bob).GetAsync($"/api/v1/firewalls/{id}");
        var getDetail = (string)(await ApiClient.AssertProblemAsync(get, HttpStatusCode.NotFound))["detail"]!;
        foreach (var extra in Extras)
        {
            using var asBob = await ExtraAsync(portal.Client(Caller.Bob), id, extra);
            Assert.Equal(getDetail, (string)(await ApiClient.AssertProblemAsync(asBob, HttpStatusCode.NotFound))["detail"]!);
            using var asAlice = await ExtraAsync(portal.Client(Caller.Alice), id, extra);
            Assert.Equal(HttpStatusCode.OK, asAlice.StatusCode);
            using var asCarol = await ExtraAsync(portal.Client(Caller.Carol), id, extra);
            Assert.Equal(HttpStatusCode.OK, asCarol.StatusCode);
        }
        // Bob's draft does not get him a rendering of alice's firewall either.
        using var draft = await portal.Client(Caller.Bob).PostAsync($"/api/v1/firewalls/{id}/preview", ApiClient.Json(new JsonObject { ["rules"] = new JsonArray() }));
        await ApiClient.AssertProblemAsync(draft, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task NobodyAttachesAFirewall_ToSomeoneElsesNetwork()
    {
        var bobs = (Guid)(await portal.ArrangeAsync(Owner.Bob, "networks", ApiClient.UniqueName("bob-net")))["id"]!;
        var shared = (await portal.Api.SeededAsync()).DefaultNetworkId;
        var alices = (await FirewallAsync(Caller.Alice))["id"]!;

        foreach (var (network, says) in new[] { (bobs, $"There is no network with id {bobs}."), (shared, "belongs to shared") })
        {
            var body = new JsonObject { ["spec"] = new JsonObject { ["networkIds"] = new JsonArray(network.ToString()) } };
            using var patch = await portal.Client(Caller.Alice).SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/firewalls/{alices}")
            {
                Content = ApiClient.Json(body, "application/merge-patch+json"),
            });
            var problem = await ApiClient.AssertProblemAsync(patch, HttpStatusCode.UnprocessableEntity, says);
            Assert.NotNull(problem["errors"]!["spec.networkIds[0]"]);
        }
        // The administrator's own firewall may not take bob's network either: it is bob's.
        var create = new JsonObject { ["name"] = ApiClient.UniqueName("carol-fw"), ["spec"] = new JsonObject { ["networkIds"] = new JsonArray(bobs.ToString()) } };
        using var carols = await portal.Client(Caller.Carol).PostAsync("/api/v1/firewalls", ApiClient.Json(create));
        await ApiClient.AssertProblemAsync(carols, HttpStatusCode.UnprocessableEntity, "belongs to bob");
        // Made for bob, by the administrator, it may.
        create["owner"] = "bob";
        using var forBob = await portal.Client(Caller.Carol).PostAsync("/api/v1/firewalls", ApiClient.Json(create));
        Assert.Equal(HttpStatusCode.Created, forBob.StatusCode);
        Assert.Equal("bob", (string)(await ApiClient.ReadAsync(forBob))["owner"]!);
    }

    [Fact]
    public async Task AForwardToSomeoneElsesVm_IsRefusedAsNotFound_ExactlyAsReadingItWould()
    {
        var alicesNet = (Guid)(await portal.ArrangeAsync(Owner.Alice, "networks", ApiClient.UniqueName("alice-fwd")))["id"]!;
        var bobsVm = (Guid)(await portal.ArrangeAsync(Owner.Bob, "vms", ApiClient.UniqueName("bob-vm")))["id"]!;
        using var read = await portal.Client(Caller.Alice).GetAsync($"/api/v1/vms/{bobsVm}");
        var notFound = (string)(await ApiClient.AssertProblemAsync(read, HttpStatusCode.NotFound))["detail"]!;

        var body = new JsonObject
        {
            ["name"] = ApiClient.UniqueName("fw"),
            ["spec"] = new JsonObject
            {
                ["networkIds"] = new JsonArray(alicesNet.ToString()),
                ["forwards"] = new JsonArray(new JsonObject { ["upstreamPort"] = 8080, ["vmId"] = bobsVm.ToString(), ["port"] = 80 }),
            },
        };
        using var response = await portal.Client(Caller.Alice).PostAsync("/api/v1/firewalls", ApiClient.Json(body));
        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(notFound, (string)problem["errors"]!["spec.forwards[0].vmId"]![0]!);
    }

    [Fact]
    public async Task ALimitedToken_NeedsTheFirewallsKindAndTheReadVerb_ForEveryExtra()
    {
        var id = (Guid)(await FirewallAsync(Caller.Alice))["id"]!;
        var vmsOnly = portal.TokenClient(await portal.CreateTokenAsync(Caller.Alice, "fw-vms", ["read"], ["vms"]));
        var createOnly = portal.TokenClient(await portal.CreateTokenAsync(Caller.Alice, "fw-create", ["create"], ["firewalls"]));
        var reader = portal.TokenClient(await portal.CreateTokenAsync(Caller.Alice, "fw-read", ["read"], ["firewalls"]));
        try
        {
            foreach (var extra in Extras)
            {
                using (var refused = await ExtraAsync(vmsOnly, id, extra))
                    await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Forbidden, "This token may not read firewalls");
                using (var refused = await ExtraAsync(createOnly, id, extra))
                    await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Forbidden, "This token may not read firewalls");
                using var allowed = await ExtraAsync(reader, id, extra);
                Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            }
        }
        finally
        {
            vmsOnly.Dispose();
            createOnly.Dispose();
            reader.Dispose();
        }
    }

    [Fact]
    public async Task AGroupsNetwork_TakesTheGroupsFirewall_NotAMembersOwn()
    {
        var teams = (Guid)(await portal.ArrangeAsync(Owner.TeamX, "networks", ApiClient.UniqueName("team-fw")))["id"]!;
        JsonObject Body(string? owner) => new()
        {
            ["name"] = ApiClient.UniqueName("fw"),
            ["owner"] = owner,
            ["spec"] = new JsonObject { ["networkIds"] = new JsonArray(teams.ToString()) },
        };

        using (var alicesOwn = await portal.Client(Caller.Alice).PostAsync("/api/v1/firewalls", ApiClient.Json(Body(null))))
            await ApiClient.AssertProblemAsync(alicesOwn, HttpStatusCode.UnprocessableEntity, "belongs to team-x", "the firewall's owner (alice)");
        using var teamsOwn = await portal.Client(Caller.Alice).PostAsync("/api/v1/firewalls", ApiClient.Json(Body(AuthorizationPortal.Group)));
        var created = await ApiClient.ReadAsync(teamsOwn);
        Assert.True(teamsOwn.StatusCode == HttpStatusCode.Created, created.ToJsonString());
        Assert.Equal(AuthorizationPortal.Group, (string)created["owner"]!);

        // Bob, in the group, reads it and its preview; the router of the group's network applies it.
        using var preview = await portal.Client(Caller.Bob).PostAsync($"/api/v1/firewalls/{created["id"]}/preview", null);
        var json = await ApiClient.ReadAsync(preview);
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        Assert.DoesNotContain("does not apply", (string?)json["networks"]![0]!["message"] ?? "", StringComparison.Ordinal);
    }
}
