using System.Net;
using System.Text.Json.Nodes;

namespace KrautPortal.Tests.Api;

/// <summary>Create, read, replace, patch and delete through the generic endpoints, for every kind.</summary>
public sealed class CrudTests(ApiClient api) : IClassFixture<ApiClient>
{
    public static TheoryData<string> AllKinds => new() { "machine-types", "images", "networks", "vms" };

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task Create_Returns201_WithLocationETag1_AndTheStoredObject(string kind)
    {
        var name = ApiClient.UniqueName("crud");
        var body = await api.SampleAsync(kind, name, new JsonObject { ["env"] = "test", ["app"] = new JsonObject { ["tier"] = "web" } });

        using var response = await api.PostAsync($"/api/v1/{kind}", body);
        var created = await ApiClient.ReadAsync(response);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        var id = Guid.Parse((string)created["id"]!);
        Assert.Equal($"/api/v1/{kind}/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(kind, (string?)created["kind"]);
        Assert.Equal(name, (string?)created["name"]);
        Assert.Equal(1, (long)created["version"]!);
        Assert.True(JsonNode.DeepEquals(body["metadata"], created["metadata"]));

        var fetched = await api.GetAsync($"/api/v1/{kind}/{id}");
        Assert.Equal(name, (string?)fetched["name"]);
        Assert.True(JsonNode.DeepEquals(body["metadata"], fetched["metadata"]));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task Get_SendsTheVersionAsStrongETag(string kind)
    {
        var (id, _) = await CreateAsync(kind);

        using var response = await api.Http.GetAsync($"/api/v1/{kind}/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, ApiClient.ETagVersion(response));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task Put_WithCurrentIfMatch_WritesNewVersion_AndBumpsETag(string kind)
    {
        var (id, current) = await CreateAsync(kind);
        current["metadata"] = new JsonObject { ["env"] = "prod" };
        current["name"] = (string)current["name"]! + "-renamed";

        using var response = await api.PutAsync($"/api/v1/{kind}/{id}", current, ifMatch: "\"1\"");
        var replaced = await ApiClient.ReadAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, ApiClient.ETagVersion(response));
        Assert.Equal(2, (long)replaced["version"]!);
        Assert.Equal("prod", (string?)replaced["metadata"]!["env"]);
        var fetched = await api.GetAsync($"/api/v1/{kind}/{id}");
        Assert.Equal((string?)current["name"], (string?)fetched["name"]);
        Assert.Equal(2, (long)fetched["version"]!);
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task Put_OfWhatGetReturned_WritesNoVersion(string kind)
    {
        var (id, _) = await CreateAsync(kind, new JsonObject { ["env"] = "test" });
        var current = await api.GetAsync($"/api/v1/{kind}/{id}");

        using var response = await api.PutAsync($"/api/v1/{kind}/{id}", current, ifMatch: "\"1\"");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, ApiClient.ETagVersion(response));
        var history = await api.GetArrayAsync($"/api/v1/{kind}/{id}/history");
        Assert.Equal("created", (string?)Assert.Single(history)!["change"]);
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task Put_WithStaleIfMatch_Returns412_WithCurrentVersionInETag_AndKeepsTheObject(string kind)
    {
        var (id, current) = await CreateAsync(kind);
        using (var first = await api.PatchAsync($"/api/v1/{kind}/{id}", new JsonObject { ["metadata"] = new JsonObject { ["step"] = 2 } }, "\"1\""))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        current["metadata"] = new JsonObject { ["step"] = "stale" };

        using var response = await api.PutAsync($"/api/v1/{kind}/{id}", current, ifMatch: "\"1\"");

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.PreconditionFailed, "version 1", "version 2");
        Assert.Equal(2, ApiClient.ETagVersion(response));
        var fetched = await api.GetAsync($"/api/v1/{kind}/{id}");
        Assert.Equal(2, (long)fetched["version"]!);
        Assert.Equal(2, (int)fetched["metadata"]!["step"]!);
        Assert.NotNull(problem["title"]);
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task Patch_MergePatch_ChangesNamedFields_NullRemovesAMetadataKey_AndKeepsTheRest(string kind)
    {
        var (id, created) = await CreateAsync(kind, new JsonObject { ["env"] = "test", ["owner"] = "team-a", ["app"] = new JsonObject { ["tier"] = "web", ["port"] = 80 } });
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject { ["env"] = null, ["app"] = new JsonObject { ["port"] = 8080 } },
            ["spec"] = SpecChange(kind),
        };

        using var response = await api.PatchAsync($"/api/v1/{kind}/{id}", patch);
        var patched = await ApiClient.ReadAsync(response);

        Assert.True(response.StatusCode == HttpStatusCode.OK, patched.ToJsonString());
        Assert.Equal(2, ApiClient.ETagVersion(response));
        var expectedMetadata = new JsonObject { ["owner"] = "team-a", ["app"] = new JsonObject { ["tier"] = "web", ["port"] = 8080 } };
        Assert.True(JsonNode.DeepEquals(expectedMetadata, patched["metadata"]), patched["metadata"]!.ToJsonString());
        foreach (var (key, value) in SpecChange(kind))
            Assert.True(JsonNode.DeepEquals(value, patched["spec"]![key]), $"spec.{key} is {patched["spec"]![key]?.ToJsonString()}");
        Assert.Equal((string?)created["name"], (string?)patched["name"]);
        // A field the patch did not name is untouched.
        var untouched = created["spec"]!.AsObject().First(p => !SpecChange(kind).ContainsKey(p.Key) && p.Key != "nics");
        Assert.True(JsonNode.DeepEquals(untouched.Value, patched["spec"]![untouched.Key]));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task Patch_AsPlainJson_IsAcceptedToo(string kind)
    {
        var (id, _) = await CreateAsync(kind);

        using var response = await api.SendAsync(HttpMethod.Patch, $"/api/v1/{kind}/{id}", new JsonObject { ["metadata"] = new JsonObject { ["x"] = 1 } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, ApiClient.ETagVersion(response));
    }

    [Theory]
    [InlineData("machine-types")]
    [InlineData("images")]
    public async Task Delete_OfSynchronousKind_Returns204_AndTheObjectIsGone(string kind)
    {
        var (id, _) = await CreateAsync(kind);

        using var response = await api.DeleteAsync($"/api/v1/{kind}/{id}", "\"1\"");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Null(await api.FindAsync(kind, id));
        using var again = await api.Http.GetAsync($"/api/v1/{kind}/{id}");
        await ApiClient.AssertProblemAsync(again, HttpStatusCode.NotFound, id.ToString());
    }

    [Theory]
    [InlineData("networks")]
    [InlineData("vms")]
    public async Task Delete_OfKindWithRealObject_Returns202_ThenTheReconcilerRemovesIt(string kind)
    {
        var (id, _) = await CreateAsync(kind);

        using var response = await api.DeleteAsync($"/api/v1/{kind}/{id}");
        var accepted = await ApiClient.ReadAsync(response);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/v1/{kind}/{id}", response.Headers.Location?.OriginalString);
        if (accepted.Count > 0) Assert.NotNull(accepted["deletionRequestedAt"]);
        await api.WaitUntilGoneAsync(kind, id);
        Assert.DoesNotContain(await api.ListAllAsync(kind), o => (string?)o["id"] == id.ToString());
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task Delete_WithStaleIfMatch_Returns412_AndKeepsTheObject(string kind)
    {
        var (id, _) = await CreateAsync(kind);
        using (var bump = await api.PatchAsync($"/api/v1/{kind}/{id}", new JsonObject { ["metadata"] = new JsonObject { ["b"] = 1 } }))
            Assert.Equal(HttpStatusCode.OK, bump.StatusCode);

        using var response = await api.DeleteAsync($"/api/v1/{kind}/{id}", "\"1\"");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.PreconditionFailed);
        Assert.Equal(2, ApiClient.ETagVersion(response));
        var still = await api.GetAsync($"/api/v1/{kind}/{id}");
        Assert.Null(still["deletionRequestedAt"]);
    }

    private async Task<(Guid Id, JsonObject Created)> CreateAsync(string kind, JsonObject? metadata = null)
    {
        var created = await api.CreateAsync(kind, await api.SampleAsync(kind, ApiClient.UniqueName("crud"), metadata));
        return (Guid.Parse((string)created["id"]!), created);
    }

    /// <summary>A spec change each kind accepts on an existing object.</summary>
    private static JsonObject SpecChange(string kind) => kind switch
    {
        "machine-types" => new() { ["description"] = "patched" },
        "images" => new() { ["osName"] = "Patched OS" },
        "networks" => new() { ["description"] = "patched" },
        "vms" => new() { ["memoryMiB"] = 1024 },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
