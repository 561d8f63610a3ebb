using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Authorization;

/// <summary>Objects can be owned by a group the creator belongs to: its members share them, nobody else sees them.</summary>
[Collection(AuthorizationCollection.Name)]
public sealed class GroupOwnershipTests(AuthorizationPortal portal)
{
    private static object Network(string name, string cidr, string? owner) =>
        new { name, owner, spec = new { ipv4Cidr = cidr } };

    [Fact]
    public async Task CreatedForOwnGroup_IsSharedWithTheGroup_AndHiddenFromOthers()
    {
        var name = "group-net-" + Guid.NewGuid().ToString("N")[..6];
        var created = await portal.Client(Caller.Alice).PostAsJsonAsync("/api/v1/networks", Network(name, ApiClient.NextSubnet(), AuthorizationPortal.Group));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var network = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(AuthorizationPortal.Group, network.GetProperty("owner").GetString());
        var path = $"/api/v1/networks/{network.GetProperty("id").GetGuid()}";

        // bob is in team-x: he sees it and may change it; dave is in no group: it does not exist for him.
        Assert.Equal(HttpStatusCode.OK, (await portal.Client(Caller.Bob).GetAsync(path)).StatusCode);
        var patch = new HttpRequestMessage(HttpMethod.Patch, path) { Content = ApiClient.Json(System.Text.Json.Nodes.JsonNode.Parse("""{"metadata":{"by":"bob"}}""")!, "application/merge-patch+json") };
        Assert.Equal(HttpStatusCode.OK, (await portal.Client(Caller.Bob).SendAsync(patch)).StatusCode);
        using var dave = portal.ClientWith(AuthorizationPortal.BasicHeader("dave", AuthorizationPortal.Passwords["dave"]));
        Assert.Equal(HttpStatusCode.NotFound, (await dave.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task CreatingForSomeoneElse_OrAGroupOneIsNotIn_IsForbidden_AndCreatesNothing()
    {
        foreach (var owner in new[] { "bob", "ops" })
        {
            var name = "not-mine-" + Guid.NewGuid().ToString("N")[..6];
            var response = await portal.Client(Caller.Alice).PostAsJsonAsync("/api/v1/networks", Network(name, "10.251.1.0/24", owner));
            await ApiClient.AssertProblemAsync(response, HttpStatusCode.Forbidden, "yourself or one of your groups");
            var list = await portal.Client(Caller.Carol).GetFromJsonAsync<JsonElement>("/api/v1/networks?limit=500");
            Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), n => n.GetProperty("name").GetString() == name);
        }
    }
}
