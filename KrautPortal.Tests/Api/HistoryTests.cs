using System.Net;
using System.Text.Json.Nodes;

namespace KrautPortal.Tests.Api;

/// <summary>Every change writes a version with a full snapshot; history, diff and revert read them back.</summary>
public sealed class HistoryTests(ApiClient api) : IClassFixture<ApiClient>
{
    private const string Kind = "machine-types";

    [Fact]
    public async Task Writes_CreateIsVersion1_EachUpdateAddsOne_AndNoOpWritesNone()
    {
        var (id, created) = await CreateAsync();
        var url = $"/api/v1/{Kind}/{id}";

        using (var patch = await api.PatchAsync(url, new JsonObject { ["metadata"] = new JsonObject { ["env"] = "prod" } }))
            Assert.Equal(2, ApiClient.ETagVersion(patch));
        var current = await api.GetAsync(url);
        current["spec"]!["description"] = "third";
        using (var put = await api.PutAsync(url, current, "\"2\""))
            Assert.Equal(3, ApiClient.ETagVersion(put));

        // The same body again, and a patch that sets what is already there: nothing to record.
        var unchanged = await api.GetAsync(url);
        using (var samePut = await api.PutAsync(url, unchanged, "\"3\""))
        {
            Assert.Equal(HttpStatusCode.OK, samePut.StatusCode);
            Assert.Equal(3, ApiClient.ETagVersion(samePut));
        }
        using (var samePatch = await api.PatchAsync(url, new JsonObject { ["metadata"] = new JsonObject { ["env"] = "prod" } }))
            Assert.Equal(3, ApiClient.ETagVersion(samePatch));

        var history = await api.GetArrayAsync($"{url}/history");
        Assert.Equal([3L, 2L, 1L], history.Select(h => (long)h!["version"]!));
        Assert.All(history, h => Assert.Equal(Support.TestCredentials.GodActor, (string?)h!["changedBy"]));
        var times = history.Select(h => DateTime.Parse((string)h!["changedAt"]!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.OrderDescending(), times);
        Assert.Equal("created", (string?)history[2]!["change"]);
        Assert.Equal("changed metadata.env", (string?)history[1]!["change"]);
        Assert.Equal("replaced", (string?)history[0]!["change"]);
        Assert.Equal(3, (long)(await api.GetAsync(url))["version"]!);
        Assert.NotNull(created);
    }

    [Fact]
    public async Task Version_ReturnsTheWholeSnapshotOfThatVersion()
    {
        var (id, created) = await CreateAsync();
        var url = $"/api/v1/{Kind}/{id}";
        using (await api.PatchAsync(url, new JsonObject { ["name"] = created["name"] + "-v2", ["metadata"] = new JsonObject { ["env"] = null, ["new"] = 1 } })) { }

        var v1 = await api.GetAsync($"{url}/history/1");
        var v2 = await api.GetAsync($"{url}/history/2");

        Assert.Equal(1, (long)v1["version"]!);
        Assert.Equal("created", (string?)v1["change"]);
        var snapshot = v1["snapshot"]!;
        Assert.Equal((string?)created["name"], (string?)snapshot["name"]);
        Assert.Equal(Support.TestCredentials.GodActor, (string?)snapshot["owner"]);
        Assert.True(JsonNode.DeepEquals(created["metadata"], snapshot["metadata"]));
        Assert.True(JsonNode.DeepEquals(created["spec"], snapshot["spec"]));
        Assert.Equal(created["name"] + "-v2", (string?)v2["snapshot"]!["name"]);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["team"] = "a", ["new"] = 1 }, v2["snapshot"]!["metadata"]));
    }

    [Fact]
    public async Task Diff_ListsThePathsThatChangedBetweenTwoVersions()
    {
        var (id, _) = await CreateAsync();
        var url = $"/api/v1/{Kind}/{id}";
        using (await api.PatchAsync(url, new JsonObject { ["metadata"] = new JsonObject { ["env"] = "prod", ["team"] = null } })) { }
        using (await api.PatchAsync(url, new JsonObject { ["spec"] = new JsonObject { ["vcpus"] = new JsonObject { ["max"] = 3 }, ["description"] = "d" } })) { }

        var diff = await api.GetAsync($"{url}/diff?from=1&to=3");

        Assert.Equal(1, (long)diff["from"]!);
        Assert.Equal(3, (long)diff["to"]!);
        var changes = diff["changes"]!.AsArray().ToDictionary(c => (string)c!["path"]!, c => c!.AsObject());
        Assert.Equal(["metadata.env", "metadata.team", "spec.description", "spec.vcpus.max"], changes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("changed", (string?)changes["metadata.env"]["kind"]);
        Assert.Equal("test", (string?)changes["metadata.env"]["from"]);
        Assert.Equal("prod", (string?)changes["metadata.env"]["to"]);
        Assert.Equal("removed", (string?)changes["metadata.team"]["kind"]);
        Assert.Equal("added", (string?)changes["spec.description"]["kind"]);
        Assert.Equal(4, (int)changes["spec.vcpus.max"]["from"]!);
        Assert.Equal(3, (int)changes["spec.vcpus.max"]["to"]!);
        var backwards = await api.GetAsync($"{url}/diff?from=3&to=1");
        Assert.Equal(4, backwards["changes"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("", "from=1&to=3")]
    [InlineData("?from=1", "from=1&to=3")]
    [InlineData("?to=1", "from=1&to=3")]
    public async Task Diff_WithoutBothVersions_Returns400(string query, string detail)
    {
        var (id, _) = await CreateAsync();

        using var response = await api.Http.GetAsync($"/api/v1/{Kind}/{id}/diff{query}");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
    }

    [Fact]
    public async Task Diff_ToAVersionThatDoesNotExist_Returns404()
    {
        var (id, _) = await CreateAsync();

        using var response = await api.Http.GetAsync($"/api/v1/{Kind}/{id}/diff?from=1&to=9");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "no version 9");
    }

    [Fact]
    public async Task Revert_MakesANewVersionEqualToTheOldOne()
    {
        var (id, created) = await CreateAsync();
        var url = $"/api/v1/{Kind}/{id}";
        using (await api.PatchAsync(url, new JsonObject { ["name"] = created["name"] + "-renamed", ["metadata"] = new JsonObject { ["env"] = "prod", ["extra"] = true } })) { }
        using (await api.PatchAsync(url, new JsonObject { ["spec"] = new JsonObject { ["description"] = "changed", ["memoryMiB"] = new JsonObject { ["max"] = 512 } } })) { }

        using var response = await api.PostAsync($"{url}/revert", new JsonObject { ["version"] = 1 });
        var reverted = await ApiClient.ReadAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, ApiClient.ETagVersion(response));
        Assert.Equal(4, (long)reverted["version"]!);
        var fetched = await api.GetAsync(url);
        Assert.Equal(4, (long)fetched["version"]!);
        Assert.Equal((string?)created["name"], (string?)fetched["name"]);
        Assert.True(JsonNode.DeepEquals(created["metadata"], fetched["metadata"]), fetched["metadata"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(created["spec"], fetched["spec"]), fetched["spec"]!.ToJsonString());
        var history = await api.GetArrayAsync($"{url}/history");
        Assert.Equal(4, history.Count);
        Assert.Equal("reverted to version 1", (string?)history[0]!["change"]);
        var diff = await api.GetAsync($"{url}/diff?from=1&to=4");
        Assert.Empty(diff["changes"]!.AsArray());
    }

    [Fact]
    public async Task Revert_ToTheCurrentContent_WritesNoVersion()
    {
        var (id, _) = await CreateAsync();

        using var response = await api.PostAsync($"/api/v1/{Kind}/{id}/revert", new JsonObject { ["version"] = 1 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, ApiClient.ETagVersion(response));
        Assert.Single(await api.GetArrayAsync($"/api/v1/{Kind}/{id}/history"));
    }

    [Fact]
    public async Task Revert_ToAVersionThatDoesNotExist_Returns404_AndWritesNothing()
    {
        var (id, _) = await CreateAsync();

        using var response = await api.PostAsync($"/api/v1/{Kind}/{id}/revert", new JsonObject { ["version"] = 7 });

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "no version 7");
        Assert.Equal(1, (long)(await api.GetAsync($"/api/v1/{Kind}/{id}"))["version"]!);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"version":"one"}""")]
    [InlineData("""{"version":1.5}""")]
    public async Task Revert_WithoutANumericVersion_Returns422(string body)
    {
        var (id, _) = await CreateAsync();

        using var response = await api.Http.PostAsync($"/api/v1/{Kind}/{id}/revert", ApiClient.Raw(body));

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "version");
        Assert.NotNull(problem["errors"]!["version"]);
    }

    [Fact]
    public async Task Revert_WithStaleIfMatch_Returns412()
    {
        var (id, _) = await CreateAsync();
        using (await api.PatchAsync($"/api/v1/{Kind}/{id}", new JsonObject { ["metadata"] = new JsonObject { ["x"] = 1 } })) { }

        using var response = await api.SendAsync(HttpMethod.Post, $"/api/v1/{Kind}/{id}/revert", new JsonObject { ["version"] = 1 }, ifMatch: "\"1\"");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.PreconditionFailed);
        Assert.Equal(2, ApiClient.ETagVersion(response));
    }

    [Fact]
    public async Task History_OfADeletedObject_StaysReadable()
    {
        var (id, created) = await CreateAsync();
        var url = $"/api/v1/{Kind}/{id}";
        using (await api.PatchAsync(url, new JsonObject { ["metadata"] = new JsonObject { ["env"] = "prod" } })) { }
        using (var delete = await api.DeleteAsync(url))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);

        var history = await api.GetArrayAsync($"{url}/history");
        var v1 = await api.GetAsync($"{url}/history/1");

        Assert.Equal([3L, 2L, 1L], history.Select(h => (long)h!["version"]!));
        Assert.Equal("deleted", (string?)history[0]!["change"]);
        Assert.Equal((string?)created["name"], (string?)v1["snapshot"]!["name"]);
        var diff = await api.GetAsync($"{url}/diff?from=1&to=2");
        Assert.Single(diff["changes"]!.AsArray());
        using var gone = await api.Http.GetAsync(url);
        await ApiClient.AssertProblemAsync(gone, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task History_OfAnUnknownId_Returns404_AndOfAMalformedId_Returns400()
    {
        using var unknown = await api.Http.GetAsync($"/api/v1/{Kind}/{Guid.NewGuid()}/history");
        using var malformed = await api.Http.GetAsync($"/api/v1/{Kind}/not-an-id/history");

        await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound);
        await ApiClient.AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "'not-an-id' is not a valid id");
    }

    private async Task<(Guid Id, JsonObject Created)> CreateAsync()
    {
        var created = await api.CreateAsync(Kind, await api.SampleAsync(Kind, ApiClient.UniqueName("hist"), new JsonObject { ["env"] = "test", ["team"] = "a" }));
        return (Guid.Parse((string)created["id"]!), created);
    }
}

/// <summary>History names the person who made a change, and the token they used, also when a group owns the token and the object.</summary>
[Collection(Authorization.AuthorizationCollection.Name)]
public sealed class HistoryAuthorTests(Authorization.AuthorizationPortal portal)
{
    [Fact]
    public async Task AChangeThroughAGroupOwnedToken_RecordsThePersonAndTheToken_NotTheGroup()
    {
        var vm = (Guid)(await portal.ArrangeAsync(Authorization.Owner.TeamX, "vms", ApiClient.UniqueName("team-vm")))["id"]!;
        var body = Authorization.AuthorizationPortal.TokenBody(ApiClient.UniqueName("team-token"), ["read", "update"], ["vms"]);
        body["owner"] = Authorization.AuthorizationPortal.Group;
        using var created = await portal.Client(Authorization.Caller.Alice).PostAsync("/api/v1/tokens", ApiClient.Json(body));
        var answer = await ApiClient.ReadAsync(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, answer.ToJsonString());
        Assert.Equal(Authorization.AuthorizationPortal.Group, (string?)answer["token"]!["owner"]);
        var tokenId = Guid.Parse((string)answer["token"]!["id"]!);
        portal.Secrets.Add((string)answer["secret"]!);

        using var client = portal.TokenClient(new Authorization.AuthorizationPortal.CreatedToken(tokenId, (string)answer["secret"]!));
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/vms/{vm}")
        {
            Content = ApiClient.Json(new JsonObject { ["metadata"] = new JsonObject { ["by"] = "token" } }, "application/merge-patch+json"),
        };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(patch)).StatusCode);
        using (var direct = await portal.Api.PatchAsync($"/api/v1/vms/{vm}", new JsonObject { ["metadata"] = new JsonObject { ["by"] = "god" } })) { }

        var history = await portal.Api.GetArrayAsync($"/api/v1/vms/{vm}/history");
        Assert.Equal($"alice (token {tokenId})", (string?)history[1]!["changedBy"]);
        Assert.Equal(Support.TestCredentials.GodActor, (string?)history[0]!["changedBy"]);
        Assert.Equal("alice", (string?)(await portal.Api.GetAsync($"/api/v1/tokens/{tokenId}/history/1"))["changedBy"]);
    }
}
