using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Audit;

/// <summary>The audit search as people use it: their own entries, an administrator's everyone's, the filters, and paging.</summary>
[Collection(AuthorizationCollection.Name)]
public sealed class AuditTrailTests(AuthorizationPortal portal)
{
    private HttpClient Alice => portal.Client(Caller.Alice);
    private HttpClient Bob => portal.Client(Caller.Bob);
    private HttpClient Carol => portal.Client(Caller.Carol);

    [Fact]
    public async Task AUser_SeesOnlyTheirOwnEntries_AnAdministratorEveryones_AndNeverAnotherTenantsObjectHistory()
    {
        var run = ApiClient.UniqueName("trail");
        var alices = await portal.ArrangeAsync(Owner.Alice, "vms", run + "-a");
        var bobs = await portal.ArrangeAsync(Owner.Bob, "vms", run + "-b");
        var (aliceVm, bobVm) = ((Guid)alices["id"]!, (Guid)bobs["id"]!);
        using (var stop = await Alice.PostAsync($"/api/v1/vms/{aliceVm}/actions/stop", null)) Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        using (var poke = await Alice.DeleteAsync($"/api/v1/vms/{bobVm}")) Assert.Equal(HttpStatusCode.NotFound, poke.StatusCode);
        using (var stop = await Bob.PostAsync($"/api/v1/vms/{bobVm}/actions/stop", null)) Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        // A version of bob's VM made by alice (as when she was allowed to): still his object's history, not for her to read.
        await using (var scope = portal.App.CreateActorScope())
        {
            await scope.ServiceProvider.GetRequiredService<ResourceStore>().UpdateAsync(Kinds.Vms.Name, bobVm, null, new Actor("alice", IsAdmin: true, []), row =>
            {
                row.Metadata = new JsonObject { ["touched"] = run }.ToJsonString();
                return "metadata by alice";
            }, CancellationToken.None);
        }

        // Alice's view: her stop (the call and the version it made), her refused delete, her VM's creation; nothing of bob's.
        var mine = await WaitForAsync(Alice, $"action=stop&object={aliceVm}", items => items.Any(i => (string?)i["source"] == "api"));
        var call = mine.Single(i => (string?)i["source"] == "api");
        Assert.Equal("/api/v1/vms/{id}/actions/{action}", (string?)call["route"]);
        Assert.Equal("alice", (string?)call["user"]);
        Assert.Equal(202, (int)call["status"]!);
        Assert.Equal("ok", (string?)call["result"]);
        Assert.Equal(run + "-a", (string?)call["objectName"]);
        var version = (long)call["version"]!;
        Assert.Equal($"/api/v1/vms/{aliceVm}/diff?from={version - 1}&to={version}", (string?)call["diffUrl"]);
        using (var diff = await Alice.GetAsync((string)call["diffUrl"]!)) Assert.Equal(HttpStatusCode.OK, diff.StatusCode);
        Assert.Contains(mine, i => (string?)i["source"] == "history" && (string?)i["detail"] == "action: stop" && (long?)i["version"] == version);

        var aliceAll = await ItemsAsync(Alice, $"limit=200&from={Uri.EscapeDataString(DateTime.UtcNow.AddMinutes(-10).ToString("O"))}");
        Assert.All(aliceAll, i => Assert.Equal("alice", (string?)i["user"]));
        // Her refused delete of bob's VM is hers to see (asked for by object: in a shared portal, her newest 200 entries
        // may be other tests' by now).
        var refusedByAlice = await WaitForAsync(Alice, $"object={bobVm}&source=api", items => items.Count > 0);
        Assert.Contains(refusedByAlice, i => (string?)i["method"] == "DELETE" && (string?)i["result"] == "refused" && (string?)i["user"] == "alice");
        Assert.Empty(await ItemsAsync(Alice, $"object={bobVm}&source=history"));
        Assert.DoesNotContain(await ItemsAsync(Alice, "source=history&limit=200"), i => (Guid?)i["objectId"] == bobVm);
        using (var others = await Alice.GetAsync("/api/v1/audit?user=bob"))
            await ApiClient.AssertProblemAsync(others, HttpStatusCode.Forbidden, "your own entries only");

        // Carol, an administrator, sees both, alice's version of bob's VM included.
        // Entries are written in the background: bob's stop may not be in yet when alice's are.
        var bobsVm = await WaitForAsync(Carol, $"object={bobVm}&limit=200",
            items => items.Any(i => (string?)i["user"] == "bob" && (string?)i["action"] == "stop"));
        Assert.Contains(bobsVm, i => (string?)i["user"] == "bob" && (string?)i["action"] == "stop");
        Assert.Contains(bobsVm, i => (string?)i["user"] == "alice" && (string?)i["source"] == "api" && (string?)i["result"] == "refused");
        Assert.Contains(bobsVm, i => (string?)i["user"] == "alice" && (string?)i["detail"] == "metadata by alice");
        Assert.All(await ItemsAsync(Carol, $"user=bob&object={bobVm}"), i => Assert.Equal("bob", (string?)i["user"]));
    }

    [Fact]
    public async Task Filters_NarrowByKindResultTimeAndSource_AndPagesNeitherRepeatNorSkip()
    {
        var run = ApiClient.UniqueName("filters");
        var vm = (Guid)(await portal.ArrangeAsync(Owner.Alice, "vms", run))["id"]!;
        for (var i = 0; i < 4; i++)
        {
            using var patched = await Alice.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/vms/{vm}")
            {
                Content = ApiClient.Json(new JsonObject { ["metadata"] = new JsonObject { ["round"] = $"{i}" } }, "application/merge-patch+json"),
            });
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }
        using (var bad = await Alice.PostAsync($"/api/v1/vms/{vm}/actions/explode", null)) Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        // create + 4 patches + the refused action as API calls; created + 4 versions in history.
        var all = await WaitForAsync(Alice, $"object={vm}&limit=200", items => items.Count(i => (string?)i["source"] == "api") == 6);
        Assert.Equal(6, all.Count(i => (string?)i["source"] == "api"));
        Assert.Equal(5, all.Count(i => (string?)i["source"] == "history"));
        var times = all.Select(i => (DateTime)i["at"]!).ToList();
        Assert.Equal(times.OrderDescending(), times);

        var refused = await ItemsAsync(Alice, $"object={vm}&result=refused");
        Assert.Equal("explode", (string?)Assert.Single(refused)["action"]);
        Assert.Equal(400, (int)refused[0]["status"]!);
        Assert.Empty(await ItemsAsync(Alice, $"object={vm}&result=failed"));
        Assert.Empty(await ItemsAsync(Alice, $"object={vm}&kind=networks"));
        Assert.Equal(11, (await ItemsAsync(Alice, $"object={vm}&kind=vms&limit=200")).Count);
        Assert.All(await ItemsAsync(Alice, $"object={vm}&source=history&limit=200"), i => Assert.Equal("history", (string?)i["source"]));
        Assert.Equal(4, (await ItemsAsync(Alice, $"object={vm}&action=update")).Count);

        var patches = all.Where(i => (string?)i["action"] == "update").OrderBy(i => (DateTime)i["at"]!).ToList();
        var (second, third) = ((DateTime)patches[1]["at"]!, (DateTime)patches[2]["at"]!);
        var window = await ItemsAsync(Alice, $"object={vm}&action=update&from={Uri.EscapeDataString(second.ToString("O"))}&to={Uri.EscapeDataString(third.ToString("O"))}");
        Assert.Equal([third, second], window.Select(i => (DateTime)i["at"]!));

        // Three at a time: the same entries, in the same order, each once.
        var paged = new List<string>();
        string? before = null;
        do
        {
            var page = JsonNode.Parse(await Alice.GetStringAsync($"/api/v1/audit?object={vm}&limit=3" + (before is null ? "" : "&before=" + before)))!;
            paged.AddRange(page["items"]!.AsArray().Select(i => (string)i!["id"]!));
            before = (string?)page["next"];
        }
        while (before is not null);
        Assert.Equal(all.Select(i => (string)i["id"]!), paged);

        using (var badLimit = await Alice.GetAsync("/api/v1/audit?limit=1000")) await ApiClient.AssertProblemAsync(badLimit, HttpStatusCode.BadRequest, "limit");
        using (var badTime = await Alice.GetAsync("/api/v1/audit?from=yesterday")) await ApiClient.AssertProblemAsync(badTime, HttpStatusCode.BadRequest, "ISO 8601");
        using (var badCursor = await Alice.GetAsync("/api/v1/audit?before=x")) await ApiClient.AssertProblemAsync(badCursor, HttpStatusCode.BadRequest, "next");
    }

    [Fact]
    public async Task VerifyEndpoint_IsForAdministrators_AndReportsTheChainIntact()
    {
        // At least one entry of its own, whichever test of the collection runs first.
        var vm = (Guid)(await portal.ArrangeAsync(Owner.Alice, "vms", ApiClient.UniqueName("verify")))["id"]!;
        using (var stop = await Alice.PostAsync($"/api/v1/vms/{vm}/actions/stop", null)) Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        await WaitForAsync(Alice, $"object={vm}&source=api", items => items.Count > 0);

        var report = JsonNode.Parse(await Carol.GetStringAsync("/api/v1/audit/verify"))!;
        Assert.True((bool)report["ok"]!, report.ToJsonString());
        Assert.True((long)report["checked"]! > 0);
        using var asAlice = await Alice.GetAsync("/api/v1/audit/verify");
        await ApiClient.AssertProblemAsync(asAlice, HttpStatusCode.Forbidden, "Only administrators");
    }

    private static async Task<List<JsonObject>> ItemsAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync("/api/v1/audit?" + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!["items"]!.AsArray().Select(i => i!.AsObject()).ToList();
    }

    /// <summary>API entries are written in the background: waits until the search shows what the test needs.</summary>
    private static Task<List<JsonObject>> WaitForAsync(HttpClient client, string query, Func<List<JsonObject>, bool> done) =>
        Eventually.WaitForAsync(async () => await ItemsAsync(client, query) is var items && done(items) ? items : null,
            TimeSpan.FromSeconds(10), $"audit entries for {query}");
}
