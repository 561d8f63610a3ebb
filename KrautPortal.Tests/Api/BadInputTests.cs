using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Store;

namespace KrautPortal.Tests.Api;

/// <summary>
/// Wrong input gets a problem+json a person can act on, with the right status, and leaves nothing behind:
/// no row, no overlay file, no libvirt domain.
/// </summary>
public sealed class BadInputTests(ApiClient api) : IClassFixture<ApiClient>
{
    public static TheoryData<string> AllKinds => new() { "machine-types", "images", "networks", "vms" };

    [Theory]
    [InlineData("", "A name is required.")]
    [InlineData("   ", "A name is required.")]
    [InlineData(" leading", "may not start or end with spaces")]
    [InlineData("trailing ", "may not start or end with spaces")]
    [InlineData("bell\u0007", "(found U+0007)")]
    [InlineData("new\nline", "(found U+000A)")]
    [InlineData("zero\u200bwidth", "(found U+200B)")]
    [InlineData("x123456789x123456789x123456789x123456789x123456789x123456789xyzw", "at most 63 characters (this one has 64)")]
    public async Task CreateVm_WithInvalidName_Returns422OnName_AndLeavesNothing(string name, string message)
    {
        var body = await api.SampleAsync("vms", name);

        var problem = await AssertRefusedAsync("vms", body, HttpStatusCode.UnprocessableEntity, message);

        Assert.Contains(message, (string)problem["errors"]!["name"]![0]!, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task Create_WithNameTooLong_Returns422_ForEveryKind(string kind)
    {
        var body = await api.SampleAsync(kind, new string('n', 200));

        var problem = await AssertRefusedAsync(kind, body, HttpStatusCode.UnprocessableEntity, "at most 63 characters (this one has 200)");

        Assert.NotNull(problem["errors"]!["name"]);
    }

    [Theory]
    [InlineData("""{"name":"x","spec":""", "line 1, position 20:")]
    [InlineData("{\n  \"name\": \"x\",\n  \"spec\": nope\n}", "line 3, position 12:")]
    [InlineData("""{"name":"x",}""", "line 1, position 13:")]
    [InlineData("""{'name':'x'}""", "line 1, position 2:")]
    public async Task Create_WithMalformedJson_Returns400_SayingWhere(string json, string where)
    {
        var problem = await AssertRefusedRawAsync("vms", ApiClient.Raw(json), HttpStatusCode.BadRequest, "not valid JSON", where);

        // One way of counting only: System.Text.Json's own 0-based "LineNumber: 0" would contradict it.
        Assert.DoesNotContain("LineNumber", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[{"name":"x"}]""")]
    [InlineData("\"just a string\"")]
    [InlineData("42")]
    [InlineData("null")]
    public async Task Create_WithJsonThatIsNotAnObject_Returns400(string json)
    {
        await AssertRefusedRawAsync("vms", ApiClient.Raw(json), HttpStatusCode.BadRequest, "must be a JSON object");
    }

    [Fact]
    public async Task Create_WithEmptyBody_Returns400()
    {
        await AssertRefusedRawAsync("vms", ApiClient.Raw(""), HttpStatusCode.BadRequest, "needs a JSON object");
    }

    [Fact]
    public async Task Create_WithInvalidUtf8_Returns400()
    {
        // "name": "\xC3(" : a UTF-8 lead byte followed by a byte that cannot continue it.
        var content = new ByteArrayContent([.. "{\"name\":\""u8, 0xC3, 0x28, .. "\",\"spec\":{}}"u8]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        await AssertRefusedRawAsync("vms", content, HttpStatusCode.BadRequest, "not valid UTF-8");
    }

    [Fact]
    public async Task Create_NestedDeeperThanTheLimit_Returns400()
    {
        var json = """{"name":"deep","metadata":""" + new string('[', 40) + new string(']', 40) + "}";

        await AssertRefusedRawAsync("vms", ApiClient.Raw(json), HttpStatusCode.BadRequest, "depth");
    }

    [Fact]
    public async Task Create_WithBodyOverOneMiB_Returns413()
    {
        var body = await api.SampleAsync("vms", ApiClient.UniqueName("big"), new JsonObject { ["blob"] = new string('x', 1024 * 1024) });

        await AssertRefusedRawAsync("vms", ApiClient.Json(body), HttpStatusCode.RequestEntityTooLarge, "at most 1024 KiB");
    }

    [Fact]
    public async Task Create_WithBodyOverOneMiB_WithoutContentLength_Returns413()
    {
        var body = await api.SampleAsync("vms", ApiClient.UniqueName("big"), new JsonObject { ["blob"] = new string('x', 1024 * 1024) });
        var content = new StreamContent(new UnknownLengthStream(Encoding.UTF8.GetBytes(body.ToJsonString())));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        await AssertRefusedRawAsync("vms", content, HttpStatusCode.RequestEntityTooLarge, "at most 1024 KiB");
    }

    [Theory]
    [InlineData("text/plain", "not 'text/plain'")]
    [InlineData("application/xml", "not 'application/xml'")]
    [InlineData("application/x-www-form-urlencoded", "application/json")]
    [InlineData(null, "not 'nothing'")]
    public async Task Create_WithWrongContentType_Returns415(string? mediaType, string detail)
    {
        var body = await api.SampleAsync("vms", ApiClient.UniqueName("ct"));
        var content = new StringContent(body.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = mediaType is null ? null : new MediaTypeHeaderValue(mediaType);

        await AssertRefusedRawAsync("vms", content, HttpStatusCode.UnsupportedMediaType, detail);
    }

    [Fact]
    public async Task Create_WithUnknownSpecField_Returns422NamingIt()
    {
        var body = await api.SampleAsync("vms", ApiClient.UniqueName("vm"));
        body["spec"]!["foo"] = 1;

        var problem = await AssertRefusedAsync("vms", body, HttpStatusCode.UnprocessableEntity, "spec.foo");

        Assert.Equal("This field is not known.", (string?)problem["errors"]!["spec.foo"]![0]);
    }

    [Fact]
    public async Task Create_WithUnknownTopLevelField_Returns422NamingIt()
    {
        var body = await api.SampleAsync("vms", ApiClient.UniqueName("vm"));
        body["labels"] = new JsonObject();

        var problem = await AssertRefusedAsync("vms", body, HttpStatusCode.UnprocessableEntity, "labels");

        Assert.NotNull(problem["errors"]!["labels"]);
    }

    [Theory]
    [InlineData("vcpus", "\"many\"", "spec.vcpus")]
    [InlineData("memoryMiB", "true", "spec.memoryMiB")]
    [InlineData("imageId", "\"not-a-guid\"", "spec.imageId")]
    [InlineData("power", "\"sideways\"", "spec.power")]
    [InlineData("nics", "{}", "spec.nics")]
    public async Task Create_WithWrongType_Returns422NamingTheField(string field, string value, string path)
    {
        var body = await api.SampleAsync("vms", ApiClient.UniqueName("vm"));
        body["spec"]![field] = JsonNode.Parse(value);

        var problem = await AssertRefusedAsync("vms", body, HttpStatusCode.UnprocessableEntity, path);

        Assert.NotNull(problem["errors"]![path]);
    }

    [Theory]
    [InlineData("""{"metadata":{}}""", "spec", "A spec is required.")]
    [InlineData("""{"name":5,"spec":{}}""", "name", "must be a string")]
    [InlineData("""{"name":"x","metadata":[1],"spec":{}}""", "metadata", "must be a JSON object")]
    [InlineData("""{"name":"x","spec":[]}""", "spec", "must be a JSON object")]
    [InlineData("""{"name":"x","spec":{}}""", "spec", "Required fields are missing")]
    public async Task Create_WithMissingOrMisshapenParts_Returns422(string json, string field, string message)
    {
        var problem = await AssertRefusedRawAsync("vms", ApiClient.Raw(json), HttpStatusCode.UnprocessableEntity, message);

        Assert.NotNull(problem["errors"]![field]);
    }

    [Theory]
    [InlineData(3, null, "spec.vcpus", "allows 1 to 2 vCPUs, not 3")]
    [InlineData(-1, null, "spec.vcpus", "not -1")]
    [InlineData(null, 128, "spec.memoryMiB", "allows 256 to 2048 MiB, not 128")]
    [InlineData(null, 4096, "spec.memoryMiB", "not 4096")]
    public async Task CreateVm_OutsideTheMachineTypesRange_Returns422NamingTheField(int? vcpus, int? memory, string field, string message)
    {
        var body = await api.SampleAsync("vms", ApiClient.UniqueName("vm"));
        if (vcpus is { } v) body["spec"]!["vcpus"] = v;
        if (memory is { } m) body["spec"]!["memoryMiB"] = m;

        var problem = await AssertRefusedAsync("vms", body, HttpStatusCode.UnprocessableEntity, field, message);

        Assert.Contains(message, (string)problem["errors"]![field]![0]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("imageId", "spec.imageId", "There is no image with id")]
    [InlineData("machineTypeId", "spec.machineTypeId", "There is no machine type with id")]
    [InlineData("networkId", "spec.nics[0].networkId", "There is no network with id")]
    public async Task CreateVm_ReferringToSomethingThatDoesNotExist_Returns422(string reference, string field, string message)
    {
        var body = await api.SampleAsync("vms", ApiClient.UniqueName("vm"));
        var missing = Guid.NewGuid().ToString();
        if (reference == "networkId") body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = missing });
        else body["spec"]![reference] = missing;

        var problem = await AssertRefusedAsync("vms", body, HttpStatusCode.UnprocessableEntity, message, missing);

        Assert.NotNull(problem["errors"]![field]);
    }

    [Fact]
    public async Task CreateVm_OfAnArchitectureNoHostRuns_Returns422SayingSo()
    {
        var seeded = await api.SeededAsync();
        var body = await api.SampleAsync("vms", ApiClient.UniqueName("arm"));
        body["spec"]!["machineTypeId"] = seeded.ArmSmallId;

        var problem = await AssertRefusedAsync("vms", body, HttpStatusCode.UnprocessableEntity, "No host can run aarch64 guests");

        Assert.Contains(problem["errors"]!["spec.machineTypeId"]!.AsArray(), m => ((string)m!).Contains("No host can run aarch64", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CreateVm_WithMetadataOver64KiB_Returns422()
    {
        var body = await api.SampleAsync("vms", ApiClient.UniqueName("vm"), new JsonObject { ["notes"] = new string('x', 65 * 1024) });

        var problem = await AssertRefusedAsync("vms", body, HttpStatusCode.UnprocessableEntity, "Metadata may be at most 64 KiB");

        Assert.NotNull(problem["errors"]!["metadata"]);
    }

    [Fact]
    public async Task Create_WithMetadataNestedDeeperThan16Levels_Returns422()
    {
        var body = await api.SampleAsync("machine-types", ApiClient.UniqueName("deep"), Nested(17));

        var problem = await AssertRefusedAsync("machine-types", body, HttpStatusCode.UnprocessableEntity, "nested at most 16 levels deep (this is 17)");

        Assert.NotNull(problem["errors"]!["metadata"]);
    }

    [Fact]
    public async Task MetadataAtTheNestingLimit_IsServedEverywhere()
    {
        // Tied to the constant: raising it past what responses can carry makes this fail.
        var limit = ResourceService<MachineTypeSpec, MachineTypeStatus>.MaxMetadataDepth;
        var created = await api.CreateAsync("machine-types", await api.SampleAsync("machine-types", ApiClient.UniqueName("deep"), Nested(limit)));
        var url = $"/api/v1/machine-types/{created["id"]}";
        using (await api.PatchAsync(url, new JsonObject { ["spec"] = new JsonObject { ["description"] = "x" } })) { }

        // Each of these wraps the metadata a few levels deeper than the object itself.
        Assert.Contains(await api.ListAllAsync("machine-types"), m => (string?)m["id"] == (string?)created["id"]);
        Assert.True(JsonNode.DeepEquals(Nested(limit), (await api.GetAsync($"{url}/history/1"))["snapshot"]!["metadata"]));
        Assert.NotNull(await api.GetAsync($"{url}/diff?from=1&to=2"));
        Assert.NotNull(await api.GetArrayAsync($"{url}/history"));
    }

    /// <summary>Metadata with <paramref name="levels"/> levels of objects, itself included.</summary>
    private static JsonObject Nested(int levels)
    {
        var metadata = new JsonObject { ["leaf"] = 1 };
        for (var i = 1; i < levels; i++) metadata = new JsonObject { ["a"] = metadata };
        return metadata;
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task Create_WithANameAlreadyTaken_Returns409_AndKeepsTheFirst(string kind)
    {
        var name = ApiClient.UniqueName("dup");
        var first = await api.CreateAsync(kind, await api.SampleAsync(kind, name));
        // Let the first VM's overlay and domain appear, so the check below sees only what the refused one made.
        if (kind == "vms") await api.WaitForPhaseAsync(Guid.Parse((string)first["id"]!), "running");

        await AssertRefusedAsync(kind, await api.SampleAsync(kind, name), HttpStatusCode.Conflict, $"named '{name}' already exists");

        Assert.Equal(1, (long)(await api.GetAsync($"/api/v1/{kind}/{first["id"]}"))["version"]!);
    }

    [Fact]
    public async Task Rename_ToANameAlreadyTaken_Returns409_AndWritesNoVersion()
    {
        var taken = await api.CreateAsync("machine-types", await api.SampleAsync("machine-types", ApiClient.UniqueName("taken")));
        var other = await api.CreateAsync("machine-types", await api.SampleAsync("machine-types", ApiClient.UniqueName("other")));

        using var response = await api.PatchAsync($"/api/v1/machine-types/{other["id"]}", new JsonObject { ["name"] = (string)taken["name"]! });

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Conflict, "already exists");
        Assert.Equal(1, (long)(await api.GetAsync($"/api/v1/machine-types/{other["id"]}"))["version"]!);
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task UnknownId_Returns404_OnEveryVerb(string kind)
    {
        var url = $"/api/v1/{kind}/{Guid.NewGuid()}";
        var body = await api.SampleAsync(kind, ApiClient.UniqueName("x"));

        foreach (var response in new[]
        {
            await api.Http.GetAsync(url),
            await api.PutAsync(url, body),
            await api.PatchAsync(url, new JsonObject { ["metadata"] = new JsonObject() }),
            await api.DeleteAsync(url),
            await api.Http.GetAsync(url + "/history"),
            await api.Http.GetAsync(url + "/history/1"),
            await api.PostAsync(url + "/revert", new JsonObject { ["version"] = 1 }),
        })
        {
            using (response) await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "There is no");
        }
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task MalformedId_Returns400_OnEveryVerb(string kind)
    {
        var url = $"/api/v1/{kind}/vm-1";
        var body = await api.SampleAsync(kind, ApiClient.UniqueName("x"));

        foreach (var response in new[]
        {
            await api.Http.GetAsync(url),
            await api.PutAsync(url, body),
            await api.PatchAsync(url, new JsonObject { ["metadata"] = new JsonObject() }),
            await api.DeleteAsync(url),
            await api.Http.GetAsync(url + "/history"),
            await api.Http.GetAsync(url + "/diff?from=1&to=2"),
        })
        {
            using (response) await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, "'vm-1' is not a valid id");
        }
    }

    [Theory]
    [InlineData("7")]
    [InlineData("\"seven\"")]
    [InlineData("\"1\", \"2\"")]
    public async Task Write_WithMalformedIfMatch_Returns400(string ifMatch)
    {
        var created = await api.CreateAsync("machine-types", await api.SampleAsync("machine-types", ApiClient.UniqueName("im")));

        using var response = await api.PatchAsync($"/api/v1/machine-types/{created["id"]}", new JsonObject { ["metadata"] = new JsonObject { ["a"] = 1 } }, ifMatch);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, "If-Match");
        Assert.Equal(1, (long)(await api.GetAsync($"/api/v1/machine-types/{created["id"]}"))["version"]!);
    }

    [Fact]
    public async Task Patch_ThatMakesTheObjectInvalid_Returns422_AndWritesNoVersion()
    {
        var vm = await api.CreateVmAsync(ApiClient.UniqueName("vm"));

        using var response = await api.PatchAsync($"/api/v1/vms/{vm["id"]}", new JsonObject { ["spec"] = new JsonObject { ["vcpus"] = 64, ["bogus"] = true } });

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "spec.bogus");
        Assert.NotNull(problem["errors"]!["spec.bogus"]);
        Assert.Equal(1, (long)(await api.GetAsync($"/api/v1/vms/{vm["id"]}"))["version"]!);
    }

    [Theory]
    [InlineData("images")]
    [InlineData("machine-types")]
    [InlineData("networks")]
    public async Task Delete_OfSomethingAVmUses_Returns409_ListingTheVms(string kind)
    {
        var seeded = await api.SeededAsync();
        var machineType = await api.CreateAsync("machine-types", await api.SampleAsync("machine-types", ApiClient.UniqueName("inuse")));
        var network = await api.CreateAsync("networks", await api.SampleAsync("networks", ApiClient.UniqueName("inuse")));
        var (a, b) = (ApiClient.UniqueName("user-a"), ApiClient.UniqueName("user-b"));
        foreach (var name in new[] { a, b })
        {
            var body = await api.SampleAsync("vms", name);
            body["spec"]!["machineTypeId"] = (string)machineType["id"]!;
            body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = (string)network["id"]! });
            await api.CreateAsync("vms", body);
        }
        var id = kind switch { "images" => seeded.ImageId.ToString(), "machine-types" => (string)machineType["id"]!, _ => (string)network["id"]! };

        using var response = await api.DeleteAsync($"/api/v1/{kind}/{id}");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Conflict, a, b);
        var still = await api.GetAsync($"/api/v1/{kind}/{id}");
        Assert.Null(still["deletionRequestedAt"]);
    }

    [Theory]
    [InlineData("env=", "position 5")]
    [InlineData("env in (a", "position 10")]
    [InlineData("team notin c", "position 12")]
    [InlineData("a..b", "position 3")]
    [InlineData("=x", "position 1")]
    [InlineData("env=prod,,x", "position 10")]
    public async Task List_WithMalformedSelector_Returns400NamingThePosition(string selector, string position)
    {
        using var response = await api.Http.GetAsync($"/api/v1/vms?selector={Uri.EscapeDataString(selector)}");

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, position, selector);
        Assert.Equal("Invalid selector", (string?)problem["title"]);
    }

    /// <summary>Posts <paramref name="body"/> and checks the problem, then that no row, overlay or domain appeared.</summary>
    private Task<JsonObject> AssertRefusedAsync(string kind, JsonObject body, HttpStatusCode status, params string[] detail) =>
        AssertRefusedRawAsync(kind, ApiClient.Json(body), status, detail);

    private async Task<JsonObject> AssertRefusedRawAsync(string kind, HttpContent content, HttpStatusCode status, params string[] detail)
    {
        var countBefore = (await api.ListAllAsync(kind)).Count;

        using var response = await api.Http.PostAsync($"/api/v1/{kind}", content);
        var problem = await ApiClient.AssertProblemAsync(response, status, detail);

        Assert.Equal(countBefore, (await api.ListAllAsync(kind)).Count);
        // The reconciler would make these at once for a stored VM; give it a moment to prove it did not.
        // Other tests' VMs may still be getting theirs, so what counts is that each belongs to a stored VM.
        await Task.Delay(kind == "vms" ? 100 : 0);
        var disks = api.DiskFiles();
        var domains = api.InstanceDomains();
        var vms = (await api.ListAllAsync("vms")).Select(v => Guid.Parse((string)v["id"]!)).ToHashSet();
        Assert.All(disks, file => Assert.Contains(Guid.Parse(Path.GetFileName(file).Split('.')[0]), vms));
        Assert.All(domains, domain => Assert.Contains(domain, vms));
        return problem;
    }

    /// <summary>A body sent without Content-Length (chunked), so only reading it reveals its size.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
