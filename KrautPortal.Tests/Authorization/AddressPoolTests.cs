using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Seeding;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Authorization;

/// <summary>
/// The attack of issue 9 B1: an ordinary user routing any range (a public one, the host's DNS server's) into their own
/// bridge. They now get only ranges of an address pool that applies to them; nobody gets a range the host uses.
/// alice and bob are in team-x, whose pool is <see cref="AuthorizationPortal.TeamPoolIpv4"/>; dave has only the default pool.
/// </summary>
[Collection(AuthorizationCollection.Name)]
public sealed class AddressPoolTests(AuthorizationPortal portal)
{
    private HttpClient Dave => portal.ClientWith(AuthorizationPortal.BasicHeader("dave", AuthorizationPortal.Passwords["dave"]));

    private static JsonObject Network(string name, string? ipv4, string? ipv6 = null, JsonObject? metadata = null) => new()
    {
        ["name"] = name,
        ["metadata"] = metadata ?? new JsonObject(),
        ["spec"] = new JsonObject { ["ipv4Cidr"] = ipv4, ["ipv6Prefix"] = ipv6, ["ipv6Mode"] = "dhcpv6" },
    };

    private async Task<JsonObject> RefusedAsync(HttpClient client, JsonObject body, string field, params string[] says)
    {
        using var response = await client.PostAsync("/api/v1/networks", ApiClient.Json(body));
        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"expected an error on {field}, got {errors.ToJsonString()}");
        var messages = string.Join(" ", errors[field]!.AsArray().Select(m => (string?)m));
        foreach (var part in says) Assert.Contains(part, messages, StringComparison.Ordinal);
        // Nothing half-made: no network of that name exists for anyone.
        Assert.DoesNotContain(await portal.Api.ListAllAsync("networks"), n => (string?)n["name"] == (string?)body["name"]);
        return problem;
    }

    private static async Task<Guid> CreatedAsync(HttpClient client, JsonObject body)
    {
        using var response = await client.PostAsync("/api/v1/networks", ApiClient.Json(body));
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {json.ToJsonString()}");
        return (Guid)json["id"]!;
    }

    private async Task DeleteAsync(Guid network)
    {
        using var deleted = await portal.Api.DeleteAsync($"/api/v1/networks/{network}");
        Assert.True(deleted.IsSuccessStatusCode, $"deleting the network gave {(int)deleted.StatusCode}");
        await portal.Api.WaitUntilGoneAsync("networks", network);
    }

    [Fact]
    public async Task AnOrdinaryUser_OnAPublicRange_Is422_SayingWhichRangesTheyMayUse_AndNothingIsCreated()
    {
        using var dave = Dave;
        await RefusedAsync(dave, Network(ApiClient.UniqueName("public"), "203.0.113.0/24"), "spec.ipv4Cidr",
            "203.0.113.0/24 is outside the IPv4 ranges you may use", $"{FirstRunSeeder.DefaultPoolIpv4} (pool 'default')");
        // A group pool widens what its members may use, but not to anything at all.
        await RefusedAsync(portal.Client(Caller.Alice), Network(ApiClient.UniqueName("public"), "203.0.113.0/24"), "spec.ipv4Cidr",
            $"{AuthorizationPortal.TeamPoolIpv4} (pool '{AuthorizationPortal.TeamPool}')", $"{FirstRunSeeder.DefaultPoolIpv4} (pool 'default')");
        // The host's DNS server's range, which is private, is outside every pool as well as the host's own.
        await RefusedAsync(dave, Network(ApiClient.UniqueName("dns"), "10.255.255.0/24"), "spec.ipv4Cidr", "outside the IPv4 ranges", "DNS server 10.255.255.53");
    }

    [Fact]
    public async Task AnOrdinaryUser_OnAnIpv6PrefixOutsideTheirPool_Is422_ButInsideItIsCreated()
    {
        using var dave = Dave;
        await RefusedAsync(dave, Network(ApiClient.UniqueName("v6"), null, "2001:db8:77::/64"), "spec.ipv6Prefix",
            "2001:db8:77::/64 is outside the IPv6 ranges you may use", $"{FirstRunSeeder.DefaultPoolIpv6} (pool 'default')");
        // A ULA outside the pool is no better than a public prefix.
        await RefusedAsync(dave, Network(ApiClient.UniqueName("v6"), null, "fd4b:7261:7575::/64"), "spec.ipv6Prefix", "outside the IPv6 ranges");

        var inside = await CreatedAsync(dave, Network(ApiClient.UniqueName("v6"), null, $"fd4b:7261:7574:{Random.Shared.Next(1, 0xffff):x}::/64"));
        await DeleteAsync(inside);
    }

    [Fact]
    public async Task AGroupsPool_ServesItsMembers_AndNoOneElse()
    {
        var member = await CreatedAsync(portal.Client(Caller.Bob), Network(ApiClient.UniqueName("team"), ApiClient.NextSubnet()));
        using var dave = Dave;
        await RefusedAsync(dave, Network(ApiClient.UniqueName("team"), ApiClient.NextSubnet()), "spec.ipv4Cidr",
            "outside the IPv4 ranges you may use", "(pool 'default')");
        var problem = await RefusedAsync(dave, Network(ApiClient.UniqueName("team"), ApiClient.NextSubnet()), "spec.ipv4Cidr");
        Assert.DoesNotContain(AuthorizationPortal.TeamPool, problem.ToJsonString(), StringComparison.Ordinal);
        await DeleteAsync(member);
    }

    [Fact]
    public async Task APersonalPool_ServesThatUserOnly_AndOnlyTheyAndAdministratorsSeeIt()
    {
        var pool = await portal.Api.CreateAsync("address-pools", new JsonObject
        {
            ["name"] = ApiClient.UniqueName("dave"),
            ["owner"] = "dave",
            ["spec"] = new JsonObject { ["ipv4"] = new JsonArray("172.20.0.0/16") },
        });
        var subnet = $"172.20.{Random.Shared.Next(256)}.0/24";
        using var dave = Dave;
        var daves = await CreatedAsync(dave, Network(ApiClient.UniqueName("mine"), subnet));
        await RefusedAsync(portal.Client(Caller.Bob), Network(ApiClient.UniqueName("not-mine"), "172.20.255.0/24"), "spec.ipv4Cidr", "outside the IPv4 ranges");

        var davesPools = await NamesAsync(dave);
        Assert.Contains((string)pool["name"]!, davesPools);
        Assert.Contains("default", davesPools);
        Assert.DoesNotContain(AuthorizationPortal.TeamPool, davesPools);
        var bobsPools = await NamesAsync(portal.Client(Caller.Bob));
        Assert.DoesNotContain((string)pool["name"]!, bobsPools);
        Assert.Contains(AuthorizationPortal.TeamPool, bobsPools);

        await DeleteAsync(daves);
        using var gone = await portal.Api.DeleteAsync($"/api/v1/address-pools/{pool["id"]}");
        Assert.Equal(HttpStatusCode.NoContent, gone.StatusCode);
    }

    [Fact]
    public async Task OnlyAdministrators_WritePools_AndATokensSelectorLimitsWhichPoolsItReads_NotWhichApply()
    {
        using (var byAlice = await portal.Client(Caller.Alice).PostAsync("/api/v1/address-pools", ApiClient.Json(new JsonObject
        {
            ["name"] = ApiClient.UniqueName("grab"), ["spec"] = new JsonObject { ["ipv4"] = new JsonArray("0.0.0.0/0") },
        })))
        {
            await ApiClient.AssertProblemAsync(byAlice, HttpStatusCode.Forbidden, "Only administrators manage address pools");
        }
        var teamPool = await portal.App.IdOfAsync("address-pools", AuthorizationPortal.TeamPool);
        using (var widen = await portal.Client(Caller.Bob).SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/address-pools/{teamPool}")
        {
            Content = ApiClient.Json(JsonNode.Parse("""{"spec":{"ipv4":["0.0.0.0/0"]}}""")!, "application/merge-patch+json"),
        }))
        {
            await ApiClient.AssertProblemAsync(widen, HttpStatusCode.Forbidden, "Only administrators manage address pools");
        }

        // A token limited to a label no pool carries reads no pool, yet its networks are held to alice's pools all the same.
        // (The label is this test's own: other tests in this portal label their objects env=dev.)
        var label = ApiClient.UniqueName("pools");
        var token = await portal.CreateTokenAsync(Caller.Alice, "dev", ["read", "create", "delete"], ["address-pools", "networks"], $"scope={label}");
        using var client = portal.TokenClient(token);
        Assert.Empty(await NamesAsync(client));
        var dev = new JsonObject { ["scope"] = label };
        await RefusedAsync(client, Network(ApiClient.UniqueName("dev"), "203.0.113.0/24", metadata: dev), "spec.ipv4Cidr", "outside the IPv4 ranges");
        await DeleteAsync(await CreatedAsync(client, Network(ApiClient.UniqueName("dev"), ApiClient.NextSubnet(), metadata: dev.DeepClone().AsObject())));
    }

    [Fact]
    public async Task AnAdministrator_MayUseAPublicRange_ButNotTheHostsOwnSubnet_NorItsDnsServersRange()
    {
        var carol = portal.Client(Caller.Carol);
        var network = await CreatedAsync(carol, Network(ApiClient.UniqueName("public"), "203.0.113.0/24"));
        await DeleteAsync(network);

        await RefusedAsync(carol, Network(ApiClient.UniqueName("lan"), TestHostFacts.Lan), "spec.ipv4Cidr",
            "overlaps what this host uses itself", "address 192.0.2.2/24 on eth0");
        await RefusedAsync(carol, Network(ApiClient.UniqueName("dns"), "10.255.0.0/16"), "spec.ipv4Cidr",
            "overlaps what this host uses itself", $"DNS server {TestHostFacts.Dns}");
        await RefusedAsync(carol, Network(ApiClient.UniqueName("lan6"), null, TestHostFacts.LanIpv6), "spec.ipv6Prefix",
            "overlaps what this host uses itself", "address fd00::2/64 on eth0");
    }

    [Fact]
    public async Task APoolWithABadRange_Is422_NamingEachEntry()
    {
        using var response = await portal.Api.PostAsync("/api/v1/address-pools", new JsonObject
        {
            ["name"] = ApiClient.UniqueName("bad"),
            ["spec"] = new JsonObject { ["ipv4"] = new JsonArray("10.1.2.3/16", "fd00::/8"), ["ipv6"] = new JsonArray("10.0.0.0/8") },
        });
        var errors = (await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity))["errors"]!;
        Assert.Contains("has host bits set; did you mean 10.1.0.0/16?", (string?)errors["spec.ipv4[0]"]![0]);
        Assert.Contains("is not an IPv4 range", (string?)errors["spec.ipv4[1]"]![0]);
        Assert.Contains("is not an IPv6 range", (string?)errors["spec.ipv6[0]"]![0]);
    }

    private static async Task<List<string>> NamesAsync(HttpClient client)
    {
        var page = JsonNode.Parse(await client.GetStringAsync("/api/v1/address-pools?limit=500"))!;
        return page["items"]!.AsArray().Select(i => (string)i!["name"]!).ToList();
    }
}
