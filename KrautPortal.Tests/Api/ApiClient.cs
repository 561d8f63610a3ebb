using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using KrautPortal.Features;
using KrautPortal.Features.Reconciling;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Api;

/// <summary>
/// The API of one fresh portal as a client sees it: raw JSON in, status codes, headers and problem+json out.
/// Used as a class fixture: it owns its <see cref="KrautAppFactory"/> (test driver, blank seed image).
/// </summary>
public sealed class ApiClient : IDisposable
{
    private readonly KrautAppFactory _app;
    private readonly Lazy<Task<Seeded>> _seeded;

    public ApiClient()
        : this(new KrautAppFactory())
    {
    }

    /// <summary>Over a factory configured otherwise (e.g. with users); owns and disposes it. Internal: xunit wants one public constructor.</summary>
    internal ApiClient(KrautAppFactory app)
    {
        _app = app;
        Http = _app.CreateClient();
        _seeded = new(() => LoadSeededAsync(_app));
    }

    public HttpClient Http { get; }
    public KrautAppFactory App => _app;

    public void Dispose()
    {
        Http.Dispose();
        _app.Dispose();
    }

    public Task<Seeded> SeededAsync() => _seeded.Value;

    public static StringContent Json(JsonNode body, string mediaType = "application/json") =>
        new(body.ToJsonString(), Encoding.UTF8, mediaType);

    public static StringContent Raw(string body, string mediaType = "application/json") =>
        new(body, Encoding.UTF8, mediaType);

    public Task<HttpResponseMessage> PostAsync(string url, JsonNode body) => Http.PostAsync(url, Json(body));

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, JsonNode? body = null, string? ifMatch = null,
        string mediaType = "application/json")
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = Json(body, mediaType);
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> PutAsync(string url, JsonNode body, string? ifMatch = null) => SendAsync(HttpMethod.Put, url, body, ifMatch);

    public Task<HttpResponseMessage> PatchAsync(string url, JsonNode body, string? ifMatch = null) =>
        SendAsync(HttpMethod.Patch, url, body, ifMatch, "application/merge-patch+json");

    public Task<HttpResponseMessage> DeleteAsync(string url, string? ifMatch = null) => SendAsync(HttpMethod.Delete, url, null, ifMatch);

    /// <summary>Creates an object and insists on 201; returns its JSON.</summary>
    public async Task<JsonObject> CreateAsync(string kind, JsonObject body)
    {
        using var response = await PostAsync($"/api/v1/{kind}", body);
        var json = await ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"creating a {kind} gave {(int)response.StatusCode}: {json.ToJsonString()}");
        return json;
    }

    public async Task<JsonObject> GetAsync(string url)
    {
        using var response = await Http.GetAsync(url);
        var json = await ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url} gave {(int)response.StatusCode}: {json.ToJsonString()}");
        return json;
    }

    public async Task<JsonArray> GetArrayAsync(string url)
    {
        using var response = await Http.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url} gave {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsArray();
    }

    /// <summary>Every item of a kind (up to 500), for counting and membership checks.</summary>
    public async Task<List<JsonObject>> ListAllAsync(string kind, string? selector = null)
    {
        var url = $"/api/v1/{kind}?limit=500" + (selector is null ? "" : "&selector=" + Uri.EscapeDataString(selector));
        var page = await GetAsync(url);
        Assert.Null(page["continue"]);
        return page["items"]!.AsArray().Select(i => i!.AsObject()).ToList();
    }

    public async Task<JsonNode?> FindAsync(string kind, Guid id)
    {
        using var response = await Http.GetAsync($"/api/v1/{kind}/{id}");
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadAsync(response);
    }

    public static async Task<JsonObject> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0) return [];
        return JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException($"expected a JSON object, got {text}");
    }

    /// <summary>
    /// Asserts an RFC 9457 problem: the status, the media type, and a title and detail a person can read.
    /// Returns the problem for further checks.
    /// </summary>
    public static async Task<JsonObject> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, params string[] detailContains)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal((int)status, (int)problem["status"]!);
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["title"]), $"problem without a title: {text}");
        var detail = (string?)problem["detail"];
        Assert.False(string.IsNullOrWhiteSpace(detail), $"problem without a detail: {text}");
        foreach (var part in detailContains) Assert.Contains(part, detail, StringComparison.Ordinal);
        return problem;
    }

    public static long ETagVersion(HttpResponseMessage response)
    {
        var tag = response.Headers.ETag ?? throw new InvalidOperationException("no ETag");
        Assert.False(tag.IsWeak);
        return long.Parse(tag.Tag.Trim('"'), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A minimal valid body for each kind; networks get a subnet of their own.</summary>
    public async Task<JsonObject> SampleAsync(string kind, string name, JsonObject? metadata = null)
    {
        var seeded = await SeededAsync();
        JsonObject spec = kind switch
        {
            "machine-types" => new()
            {
                ["architecture"] = "x86_64",
                ["vcpus"] = new JsonObject { ["default"] = 1, ["min"] = 1, ["max"] = 4 },
                ["memoryMiB"] = new JsonObject { ["default"] = 256, ["min"] = 128, ["max"] = 1024 },
            },
            "images" => new() { ["architecture"] = "x86_64", ["osName"] = "Test OS" },
            "networks" => new() { ["ipv4Cidr"] = NextSubnet() },
            "address-pools" => new() { ["ipv4"] = new JsonArray("10.250.0.0/16"), ["ipv6"] = new JsonArray("fd4b:250::/32") },
            "vms" => new() { ["imageId"] = seeded.ImageId, ["machineTypeId"] = seeded.SmallId },
            "firewalls" => new() { ["rules"] = new JsonArray(new JsonObject { ["protocol"] = "tcp", ["ports"] = new JsonArray("80") }) },
            "backup-schedules" => new() { ["selector"] = "env=dev", ["every"] = "daily", ["keep"] = 7 },
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return new JsonObject { ["name"] = name, ["metadata"] = metadata ?? new JsonObject(), ["spec"] = spec };
    }

    /// <summary>A VM from the seeded image and the "small" machine type, with one NIC per network given.</summary>
    public async Task<JsonObject> CreateVmAsync(string name, JsonObject? metadata = null, params Guid[] networks)
    {
        var body = await SampleAsync("vms", name, metadata);
        body["spec"]!["nics"] = new JsonArray(networks.Select(n => (JsonNode)new JsonObject { ["networkId"] = n }).ToArray());
        return await CreateAsync("vms", body);
    }

    public Task<JsonObject> WaitForPhaseAsync(Guid vmId, string phase) =>
        WaitForVmAsync(vmId, vm => (string?)vm["status"]!["phase"] == phase, $"to reach phase {phase}");

    /// <summary>Polls a VM until <paramref name="condition"/> holds; on timeout the message shows the last status seen.</summary>
    public async Task<JsonObject> WaitForVmAsync(Guid vmId, Func<JsonObject, bool> condition, string what)
    {
        JsonObject? last = null;
        try
        {
            return await Eventually.WaitForAsync(async () =>
            {
                last = await GetAsync($"/api/v1/vms/{vmId}");
                return condition(last) ? last : null;
            }, TimeSpan.FromSeconds(10), $"VM {vmId} {what}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last seen: {last?.ToJsonString()}", e);
        }
    }

    public async Task WaitUntilGoneAsync(string kind, Guid id)
    {
        await Eventually.WaitUntilAsync(async () => await FindAsync(kind, id) is null, TimeSpan.FromSeconds(10), $"{kind} {id} to be gone");
    }

    /// <summary>The libvirt domains on the test driver that belong to this app instance.</summary>
    public HashSet<Guid> InstanceDomains()
    {
        var instance = _app.Service<KrautInstance>().Id;
        using var connection = LibvirtConnection.Open(KrautAppFactory.TestDriver);
        var ids = new HashSet<Guid>();
        foreach (var domain in connection.ListAllDomains())
        {
            using (domain)
            {
                if (domain.GetKrautMetadata()?.InstanceId == instance) ids.Add(domain.Uuid);
            }
        }
        return ids;
    }

    /// <summary>The live domain XML of a VM on the test driver, or null when there is no domain.</summary>
    public static string? DomainXml(Guid vmId, bool inactive = false)
    {
        using var connection = LibvirtConnection.Open(KrautAppFactory.TestDriver);
        using var domain = connection.FindDomain(vmId);
        return domain?.GetXml(inactive);
    }

    public string OverlayPath(Guid vmId) => _app.Service<KrautPaths>().DiskFor(vmId);

    public string[] DiskFiles() => Directory.GetFiles(_app.Service<KrautPaths>().Disks);

    private static int _subnet;

    /// <summary>A /24 no other test in this process uses, away from the 10.77–10.126 range first run picks from.</summary>
    public static string NextSubnet()
    {
        var n = Interlocked.Increment(ref _subnet);
        return $"10.{200 + n / 250}.{n % 250}.0/24";
    }

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    private static async Task<Seeded> LoadSeededAsync(KrautAppFactory app) => new(
        await app.IdOfAsync("machine-types", "small"),
        await app.IdOfAsync("machine-types", "arm-small"),
        await app.IdOfAsync("images", "kraut-test-guest"),
        await app.IdOfAsync("networks", "default"));
}

/// <summary>What first run created in every fresh app: the ids tests build on.</summary>
public sealed record Seeded(Guid SmallId, Guid ArmSmallId, Guid ImageId, Guid DefaultNetworkId);
