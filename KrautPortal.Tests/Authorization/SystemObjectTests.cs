using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Authorization;

/// <summary>
/// System objects (a network's router VM, made by Kraut on its owner's behalf), through the real API: the owner neither
/// lists, selects, bulk-acts on nor reaches one by id (404, as any object they may not see); administrators see it
/// flagged "system" but cannot change it (403); only Kraut makes and changes it; nobody makes one through the API;
/// the owner's usage counts it.
/// </summary>
[Collection(AuthorizationCollection.Name)]
public sealed class SystemObjectTests(AuthorizationPortal portal)
{
    private sealed record Arranged(string Run, Guid System, string SystemName, Guid Ordinary, string OrdinaryName);

    /// <summary>Alice's system VM (at version 2, so diff and revert have something to work on) and an ordinary VM of hers, both labelled with the run.</summary>
    private async Task<Arranged> ArrangeAsync()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var label = new JsonObject { ["so"] = run };
        var system = await portal.ArrangeSystemAsync(Owner.Alice, "vms", "router-" + run, (JsonObject)label.DeepClone());
        Assert.Equal(2, await portal.ChangeSystemMetadataAsync("vms", (Guid)system["id"]!, new JsonObject { ["so"] = run, ["rules"] = "v2" }));
        var ordinary = await portal.ArrangeAsync(Owner.Alice, "vms", "own-" + run, (JsonObject)label.DeepClone());
        return new Arranged(run, (Guid)system["id"]!, (string)system["name"]!, (Guid)ordinary["id"]!, (string)ordinary["name"]!);
    }

    /// <summary>Every call by id a person could make on a VM, with a body where it needs one.</summary>
    private async Task<List<(string Call, HttpRequestMessage Request)>> ByIdAsync(Guid id)
    {
        var current = await portal.Api.GetAsync($"/api/v1/vms/{id}");
        var nic = (string)current["spec"]!["nics"]![0]!["id"]!;
        var network = (await portal.Api.SeededAsync()).DefaultNetworkId;
        var url = $"/api/v1/vms/{id}";
        var replacement = new JsonObject { ["name"] = current["name"]!.DeepClone(), ["metadata"] = new JsonObject { ["mine"] = "now" }, ["spec"] = current["spec"]!.DeepClone() };
        var calls = new List<(string, HttpRequestMessage)>
        {
            ("GET", new(HttpMethod.Get, url)),
            ("PUT", With(HttpMethod.Put, url, replacement)),
            ("PATCH", With(HttpMethod.Patch, url, new JsonObject { ["metadata"] = new JsonObject { ["mine"] = "now" } }, "application/merge-patch+json")),
            ("DELETE", new(HttpMethod.Delete, url)),
            ("history", new(HttpMethod.Get, url + "/history")),
            ("version", new(HttpMethod.Get, url + "/history/1")),
            ("diff", new(HttpMethod.Get, url + "/diff?from=1&to=2")),
            ("revert", With(HttpMethod.Post, url + "/revert", new JsonObject { ["version"] = 1 })),
            ("list NICs", new(HttpMethod.Get, url + "/nics")),
            ("add NIC", With(HttpMethod.Post, url + "/nics", new JsonObject { ["networkId"] = network })),
            ("remove NIC", new(HttpMethod.Delete, $"{url}/nics/{nic}")),
        };
        foreach (var action in VmOperations.Actions) calls.Add(("action " + action, new(HttpMethod.Post, $"{url}/actions/{action}")));
        return calls;
    }

    private static HttpRequestMessage With(HttpMethod method, string url, JsonObject body, string mediaType = "application/json") =>
        new(method, url) { Content = ApiClient.Json(body, mediaType) };

    private static bool IsRead(string call) => call is "GET" or "history" or "version" or "diff" or "list NICs";

    [Theory]
    [InlineData(Caller.Alice)]
    [InlineData(Caller.AliceToken)]
    public async Task ItsOwner_NeitherListsNorSelectsNorBulkActsOnASystemVm_AndGets404ForEveryCallById(Caller owner)
    {
        var a = await ArrangeAsync();
        var client = portal.Client(owner);

        var all = JsonNode.Parse(await client.GetStringAsync("/api/v1/vms?limit=500"))!["items"]!.AsArray().Select(i => (Guid)i!["id"]!).ToList();
        Assert.Contains(a.Ordinary, all);
        Assert.DoesNotContain(a.System, all);
        var selected = JsonNode.Parse(await client.GetStringAsync("/api/v1/vms?limit=500&selector=" + Uri.EscapeDataString("so=" + a.Run)))!["items"]!.AsArray();
        Assert.Equal([a.Ordinary], selected.Select(i => (Guid)i!["id"]!));

        using (var bulk = await client.PostAsync("/api/v1/vms/actions/stop?selector=" + Uri.EscapeDataString("so=" + a.Run), null))
        {
            Assert.Equal(HttpStatusCode.OK, bulk.StatusCode);
            var results = JsonNode.Parse(await bulk.Content.ReadAsStringAsync())!.AsArray();
            Assert.Equal([a.Ordinary], results.Select(r => (Guid)r!["id"]!));
        }

        foreach (var (call, request) in await ByIdAsync(a.System))
        {
            using (request)
            using (var response = await client.SendAsync(request))
            {
                var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "There is no");
                // Exactly the answer for an id that does not exist: nothing tells a system object from no object.
                Assert.DoesNotContain("system", (string)problem["detail"]!, StringComparison.OrdinalIgnoreCase);
            }
        }

        // Nothing the owner did reached it: still version 2, every version Kraut's own.
        var system = await portal.Api.GetAsync($"/api/v1/vms/{a.System}");
        Assert.Equal(2, (long)system["version"]!);
        var authors = (await portal.Api.GetArrayAsync($"/api/v1/vms/{a.System}/history")).Select(h => (string)h!["changedBy"]!).Distinct();
        Assert.Equal(["system"], authors);
    }

    [Fact]
    public async Task AnAdministrator_SeesASystemVmFlagged_WithItsHistory_ButCannotChangeIt()
    {
        var a = await ArrangeAsync();
        var carol = portal.Client(Caller.Carol);

        var listed = JsonNode.Parse(await carol.GetStringAsync("/api/v1/vms?limit=500&selector=" + Uri.EscapeDataString("so=" + a.Run)))!["items"]!.AsArray()
            .ToDictionary(i => (Guid)i!["id"]!, i => i!.AsObject());
        Assert.Equal(new[] { a.Ordinary, a.System }.Order(), listed.Keys.Order());
        Assert.True((bool)listed[a.System]["system"]!);
        Assert.Equal("alice", (string)listed[a.System]["owner"]!);
        // Additive: objects people make look as they always did, without the flag.
        Assert.False(listed[a.Ordinary].ContainsKey("system"));

        foreach (var (call, request) in await ByIdAsync(a.System))
        {
            using (request)
            using (var response = await carol.SendAsync(request))
            {
                if (IsRead(call))
                {
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{call}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    continue;
                }
                await ApiClient.AssertProblemAsync(response, HttpStatusCode.Forbidden, $"'{a.SystemName}' is a system object Kraut keeps for alice");
            }
        }
        Assert.True((bool)(await portal.Api.GetAsync($"/api/v1/vms/{a.System}"))["system"]!);
        Assert.Equal(2, (await portal.Api.GetArrayAsync($"/api/v1/vms/{a.System}/history")).Count);
        Assert.True((bool)(await portal.Api.GetAsync($"/api/v1/vms/{a.System}/history/1"))["snapshot"]!["system"]!);

        // A bulk action over a selector leaves system objects out, for administrators too: they would only collect refusals.
        using var bulk = await carol.PostAsync("/api/v1/vms/actions/stop?selector=" + Uri.EscapeDataString("so=" + a.Run), null);
        Assert.Equal(HttpStatusCode.OK, bulk.StatusCode);
        Assert.Equal([a.Ordinary], JsonNode.Parse(await bulk.Content.ReadAsStringAsync())!.AsArray().Select(r => (Guid)r!["id"]!));
        Assert.Equal(2, (long)(await portal.Api.GetAsync($"/api/v1/vms/{a.System}"))["version"]!);
    }

    [Fact]
    public async Task Kraut_DeletesASystemVm_AndItsHistoryStaysHiddenFromItsOwner_ButNotFromAdministrators()
    {
        var a = await ArrangeAsync();

        await portal.DeleteSystemAsync("vms", a.System);
        await portal.Api.WaitUntilGoneAsync("vms", a.System);

        using (var asOwner = await portal.Client(Caller.Alice).GetAsync($"/api/v1/vms/{a.System}/history"))
            await ApiClient.AssertProblemAsync(asOwner, HttpStatusCode.NotFound, "There is no");
        using (var lastVersion = await portal.Client(Caller.Alice).GetAsync($"/api/v1/vms/{a.System}/history/2"))
            await ApiClient.AssertProblemAsync(lastVersion, HttpStatusCode.NotFound, "There is no");
        var history = await portal.Api.GetArrayAsync($"/api/v1/vms/{a.System}/history");
        Assert.Equal("deleted", (string)history[0]!["change"]!);
        Assert.Equal(["system"], history.Select(h => (string)h!["changedBy"]!).Distinct());

        // The owner's own deleted VM keeps its history for them: the system one is hidden because it is a system object.
        using (var delete = await portal.Client(Caller.Alice).DeleteAsync($"/api/v1/vms/{a.Ordinary}"))
            Assert.True(delete.IsSuccessStatusCode, $"deleting alice's own VM: {(int)delete.StatusCode}");
        await portal.Api.WaitUntilGoneAsync("vms", a.Ordinary);
        using var own = await portal.Client(Caller.Alice).GetAsync($"/api/v1/vms/{a.Ordinary}/history");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Theory]
    [InlineData(Caller.Alice)]
    [InlineData(Caller.Carol)]
    public async Task NobodyMakesOrMarksASystemObjectThroughTheApi(Caller caller)
    {
        var client = portal.Client(caller);
        var body = await portal.Api.SampleAsync("vms", ApiClient.UniqueName("wants-system"));
        body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await portal.Api.SeededAsync()).DefaultNetworkId });

        body["system"] = true;
        using (var create = await client.PostAsync("/api/v1/vms", ApiClient.Json(body)))
            await ApiClient.AssertProblemAsync(create, HttpStatusCode.UnprocessableEntity, "system: Only Kraut makes system objects");
        body["system"] = "yes";
        using (var create = await client.PostAsync("/api/v1/vms", ApiClient.Json(body)))
            await ApiClient.AssertProblemAsync(create, HttpStatusCode.UnprocessableEntity, "system: Only Kraut makes system objects");

        // false is what every ordinary object is: accepted, and a query parameter is no way in either.
        body["system"] = false;
        JsonObject created;
        using (var create = await client.PostAsync("/api/v1/vms?system=true", ApiClient.Json(body)))
        {
            created = await ApiClient.ReadAsync(create);
            Assert.True(create.StatusCode == HttpStatusCode.Created, created.ToJsonString());
        }
        Assert.False(created.ContainsKey("system"));
        var url = $"/api/v1/vms/{created["id"]}";

        using (var patch = await client.SendAsync(With(HttpMethod.Patch, url, new JsonObject { ["system"] = true }, "application/merge-patch+json")))
            await ApiClient.AssertProblemAsync(patch, HttpStatusCode.UnprocessableEntity, "system: Only Kraut makes system objects");
        var replacement = new JsonObject { ["name"] = created["name"]!.DeepClone(), ["metadata"] = new JsonObject(), ["spec"] = created["spec"]!.DeepClone(), ["system"] = true };
        using (var put = await client.SendAsync(With(HttpMethod.Put, url, replacement)))
            await ApiClient.AssertProblemAsync(put, HttpStatusCode.UnprocessableEntity, "system: Only Kraut makes system objects");

        var after = await portal.Api.GetAsync(url);
        Assert.False(after.ContainsKey("system"));
        Assert.Equal(1, (long)after["version"]!);
        Assert.Contains((Guid)created["id"]!, JsonNode.Parse(await client.GetStringAsync("/api/v1/vms?limit=500"))!["items"]!.AsArray().Select(i => (Guid)i!["id"]!));
    }

    [Fact]
    public async Task ProductCode_ActingAsAPerson_CannotMakeASystemObject_OnlyKrautCan()
    {
        var body = await portal.Api.SampleAsync("vms", ApiClient.UniqueName("service-system"));
        body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await portal.Api.SeededAsync()).DefaultNetworkId });
        var input = RequestBody.ToInput<VmSpec>(body);

        foreach (var actor in new[] { new Actor("alice", false, [AuthorizationPortal.Group]), TestCredentials.Admin })
        {
            await using var scope = portal.App.CreateActorScope(actor);
            var vms = scope.ServiceProvider.GetRequiredService<ResourceService<VmSpec, VmStatus>>();
            var refused = await Assert.ThrowsAsync<ForbiddenException>(() => vms.CreateAsync(input, CancellationToken.None, isSystem: true));
            Assert.Contains("Only Kraut itself makes system objects", refused.Detail, StringComparison.Ordinal);
        }
        Assert.DoesNotContain((string)body["name"]!, (await portal.Api.ListAllAsync("vms")).Select(v => (string)v["name"]!));

        await using (var scope = portal.App.CreateActorScope(new Actor("alice", false, [AuthorizationPortal.Group])))
        {
            // AsKraut acts as Kraut whoever is signed in, and may make the object for any owner.
            var made = await scope.ServiceProvider.GetRequiredService<ResourceService<VmSpec, VmStatus>>().AsKraut()
                .CreateAsync(input with { Owner = "bob" }, CancellationToken.None, isSystem: true);
            Assert.True(made.System);
            Assert.Equal("bob", made.Owner);
            var history = await portal.Api.GetArrayAsync($"/api/v1/vms/{made.Id}/history");
            Assert.Equal("system", (string)history[0]!["changedBy"]!);
        }
    }

    [Fact]
    public async Task AName_HeldByAHiddenSystemVm_IsRefusedToItsOwner_SayingWhatHoldsIt()
    {
        var a = await ArrangeAsync();
        var body = await portal.Api.SampleAsync("vms", a.SystemName);
        body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await portal.Api.SeededAsync()).DefaultNetworkId });

        using (var create = await portal.Client(Caller.Alice).PostAsync("/api/v1/vms", ApiClient.Json(body)))
            await ApiClient.AssertProblemAsync(create, HttpStatusCode.Conflict, $"named '{a.SystemName}' already exists (one Kraut keeps for its owner, a system object)");
        using (var rename = await portal.Client(Caller.Alice).SendAsync(With(HttpMethod.Patch, $"/api/v1/vms/{a.Ordinary}", new JsonObject { ["name"] = a.SystemName }, "application/merge-patch+json")))
            await ApiClient.AssertProblemAsync(rename, HttpStatusCode.Conflict, "a system object");
        // Names are per owner: bob may use it.
        using var bobs = await portal.Client(Caller.Bob).PostAsync("/api/v1/vms", ApiClient.Json(body));
        Assert.Equal(HttpStatusCode.Created, bobs.StatusCode);
    }

    [Fact]
    public async Task Usage_CountsAnOwnersSystemObjects_ThatTheirOwnListsDoNot()
    {
        async Task<(int Usage, int Listed)> BobsVmsAsync()
        {
            await using var scope = portal.App.Services.CreateAsyncScope();
            var usage = await scope.ServiceProvider.GetRequiredService<ResourceStore>().UsageAsync("bob", CancellationToken.None);
            var listed = JsonNode.Parse(await portal.Client(Caller.Bob).GetStringAsync("/api/v1/vms?limit=500"))!["items"]!.AsArray()
                .Count(i => (string)i!["owner"]! == "bob");
            return (usage.GetValueOrDefault("vms"), listed);
        }
        var before = await BobsVmsAsync();

        await portal.ArrangeSystemAsync(Owner.Bob, "vms", ApiClient.UniqueName("bob-router"));
        await portal.ArrangeAsync(Owner.Bob, "vms", ApiClient.UniqueName("bob-own"));

        var after = await BobsVmsAsync();
        Assert.Equal(before.Usage + 2, after.Usage);
        Assert.Equal(before.Listed + 1, after.Listed);
    }
}
