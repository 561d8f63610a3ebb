using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Browser;

/// <summary>
/// A real portal process on libvirt's test driver (VMs are records, nothing boots), shared by the browser
/// tests that need VMs but not guests. Each test makes its own uniquely named VMs.
/// </summary>
public sealed class TestDriverPortal : IAsyncLifetime
{
    public PortalProcess Portal { get; } = new(KrautAppFactory.TestDriver, seedImage: "blank");

    public Task InitializeAsync() => Portal.StartAsync();

    public Task DisposeAsync() => Portal.DisposeAsync().AsTask();

    /// <summary>Creates a running VM (seeded image, "small", default network) through the REST API.</summary>
    public async Task<Guid> CreateVmAsync(string name, JsonObject? metadata = null)
    {
        using var http = Portal.CreateClient();
        var body = new JsonObject
        {
            ["name"] = name,
            ["metadata"] = metadata ?? new JsonObject(),
            ["spec"] = new JsonObject
            {
                ["imageId"] = await IdOfAsync(http, "images", "kraut-test-guest"),
                ["machineTypeId"] = await IdOfAsync(http, "machine-types", "small"),
                ["nics"] = new JsonArray(new JsonObject { ["networkId"] = await IdOfAsync(http, "networks", "default") }),
            },
        };
        var response = await http.PostAsJsonAsync("api/v1/vms", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"create {name}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    private static async Task<string> IdOfAsync(HttpClient http, string kind, string name)
    {
        var list = await http.GetFromJsonAsync<JsonElement>($"api/v1/{kind}?limit=500");
        return list.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;
    }
}
