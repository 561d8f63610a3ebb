using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KrautPortal.Tests.Support;

/// <summary>Small typed helpers over the REST API for tests that drive Kraut as a client would.</summary>
public sealed class KrautApi(HttpClient http)
{
    public HttpClient Http => http;

    public async Task<Guid> IdOfAsync(string kind, string name)
    {
        var list = await http.GetFromJsonAsync<JsonElement>($"/api/v1/{kind}?limit=500");
        foreach (var item in list.GetProperty("items").EnumerateArray())
        {
            if (item.GetProperty("name").GetString() == name) return item.GetProperty("id").GetGuid();
        }
        throw new InvalidOperationException($"no {kind} named {name}");
    }

    /// <summary>Creates an object of <paramref name="kind"/> from <paramref name="body"/> and returns its id; a refusal throws with the API's answer.</summary>
    public async Task<Guid> CreateAsync(string kind, JsonObject body)
    {
        var response = await http.PostAsJsonAsync($"/api/v1/{kind}", body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"create {kind} failed: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>Creates a VM from the seeded image on the default network with the "small" machine type.</summary>
    public async Task<Guid> CreateVmAsync(string name, int memoryMiB = 256, JsonObject? metadata = null)
    {
        var body = new JsonObject
        {
            ["name"] = name,
            ["metadata"] = metadata ?? new JsonObject(),
            ["spec"] = new JsonObject
            {
                ["imageId"] = (await IdOfAsync("images", "kraut-test-guest")).ToString(),
                ["machineTypeId"] = (await IdOfAsync("machine-types", "small")).ToString(),
                ["memoryMiB"] = memoryMiB,
                ["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await IdOfAsync("networks", "default")).ToString() }),
            },
        };
        var response = await http.PostAsJsonAsync("/api/v1/vms", body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"create failed: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    public async Task<JsonElement?> GetVmAsync(Guid id)
    {
        var response = await http.GetAsync($"/api/v1/vms/{id}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public async Task<string?> PhaseAsync(Guid id) =>
        (await GetVmAsync(id))?.GetProperty("status").GetProperty("phase").GetString();

    public async Task WaitForPhaseAsync(Guid id, string phase, TimeSpan timeout)
    {
        string? last = null;
        try
        {
            await Eventually.WaitUntilAsync(async () => (last = await PhaseAsync(id)) == phase, timeout, $"VM {id} to be {phase}");
        }
        catch (TimeoutException e)
        {
            var vm = await GetVmAsync(id);
            throw new TimeoutException($"{e.Message} It is {last}; status: {vm?.GetProperty("status")}", e);
        }
    }

    public async Task ActAsync(Guid id, string action)
    {
        var response = await http.PostAsync($"/api/v1/vms/{id}/actions/{action}", null);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{action} failed: {await response.Content.ReadAsStringAsync()}");
    }

    public async Task DeleteVmAsync(Guid id)
    {
        var response = await http.DeleteAsync($"/api/v1/vms/{id}");
        if ((int)response.StatusCode is not (202 or 204)) throw new InvalidOperationException($"delete failed: {await response.Content.ReadAsStringAsync()}");
    }
}
