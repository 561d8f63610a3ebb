using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Networks;

/// <summary>
/// Two tenants on the shared network: each sees only their own VMs' leases and addresses there, never the other's
/// names, MACs or addresses; administrators see everyone.
/// </summary>
[Collection(AuthorizationCollection.Name)]
public sealed class SharedNetworkPrivacyTests(AuthorizationPortal portal)
{
    private const string StrangerMac = "52:54:00:de:ad:01";

    [Fact]
    public async Task ATenant_SeesOnlyTheirOwnLeasesAndAddresses_OnTheSharedNetwork_AndAdminsSeeAll()
    {
        var network = (await portal.Api.SeededAsync()).DefaultNetworkId;
        Assert.Equal("shared", (string?)(await portal.Api.GetAsync($"/api/v1/networks/{network}"))["owner"]);
        using var dave = portal.ClientWith(AuthorizationPortal.BasicHeader("dave", AuthorizationPortal.Passwords["dave"]));
        var alice = await CreateVmAsync(portal.Client(Caller.Alice), network, "alice-web");
        var daves = await CreateVmAsync(dave, network, "dave-db");
        var aliceLease = new NetworkLease(alice.Mac, alice.Address, "alice-web", DateTime.UtcNow.AddHours(1));
        var daveLease = new NetworkLease(daves.Mac, daves.Address, "dave-db", DateTime.UtcNow.AddHours(1));

        // The reconciler rewrites leases from libvirt (none on the test driver): arrange again if it did meanwhile.
        // The list is read in the same round: a full run saw the reconciler's rewrite land between the reads and the list.
        JsonObject asAdmin = new(), asAlice = new(), asDave = new(), listed = new();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await SetLeasesAsync(network, [aliceLease, daveLease, new NetworkLease(StrangerMac, "10.0.0.250", "outside", null)]);
            asAlice = await ReadAsync(portal.Client(Caller.Alice), $"/api/v1/networks/{network}");
            asDave = await ReadAsync(dave, $"/api/v1/networks/{network}");
            asAdmin = await ReadAsync(portal.Client(Caller.Carol), $"/api/v1/networks/{network}");
            listed = (await ReadAsync(dave, "/api/v1/networks?limit=500"))["items"]!.AsArray().Single(n => (Guid)n!["id"]! == network)!.AsObject();
            if (Leases(asAdmin).Count == 3 && Leases(listed).Count > 0) break;
        }

        Assert.Equal(new[] { alice.Mac, daves.Mac, StrangerMac }.Order(StringComparer.Ordinal), Leases(asAdmin).Order(StringComparer.Ordinal));
        Assert.Equal([alice.Mac], Leases(asAlice));
        Assert.Equal([daves.Mac], Leases(asDave));
        Assert.DoesNotContain("dave-db", asAlice.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(daves.Address, asAlice.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("alice-web", asDave.ToJsonString(), StringComparison.Ordinal);
        // The list hands out the same status as the single read.
        Assert.Equal([daves.Mac], Leases(listed));

        // The addresses in use: the host's and one's own; nothing of the other tenant, not even an anonymous entry.
        var aliceAddresses = await ReadArrayAsync(portal.Client(Caller.Alice), $"/api/v1/networks/{network}/addresses");
        var nics = aliceAddresses.Where(a => ((string)a!["usedBy"]!).StartsWith("nic", StringComparison.Ordinal)).ToList();
        Assert.Contains(aliceAddresses, a => (string?)a!["usedBy"] == "host");
        Assert.Contains(nics, a => (string?)a!["address"] == alice.Address && (string?)a["mac"] == alice.Mac);
        Assert.DoesNotContain(nics, a => (string?)a!["address"] == daves.Address);
        // Only her own VMs (other tests give her more on this network), each named: no anonymous "someone is here" rows.
        Assert.All(nics, a => Assert.NotNull((string?)a!["vmName"]));
        Assert.DoesNotContain(nics, a => (string?)a!["vmName"] == "dave-db");
        var adminAddresses = await ReadArrayAsync(portal.Client(Caller.Carol), $"/api/v1/networks/{network}/addresses");
        Assert.Contains(adminAddresses, a => (string?)a!["address"] == alice.Address && (string?)a["vmName"] == "alice-web");
        Assert.Contains(adminAddresses, a => (string?)a!["address"] == daves.Address && (string?)a["vmName"] == "dave-db");
    }

    private sealed record CreatedVm(string Mac, string Address);

    private async Task<CreatedVm> CreateVmAsync(HttpClient client, Guid network, string name)
    {
        var body = await portal.Api.SampleAsync("vms", name);
        body["spec"]!["power"] = "stopped";
        body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = network });
        using var response = await client.PostAsync("/api/v1/vms", ApiClient.Json(body));
        var created = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, created.ToJsonString());
        var nic = created["spec"]!["nics"]![0]!;
        return new CreatedVm((string)nic["mac"]!, (string)nic["ipv4Address"]!);
    }

    private async Task SetLeasesAsync(Guid network, IReadOnlyList<NetworkLease> leases)
    {
        await using var scope = portal.App.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
        var row = await store.FindAsync(Kinds.Networks.Name, network, Features.Store.Actor.System, CancellationToken.None);
        var status = KrautJson.Deserialize<NetworkStatus>(row!.Status) with { Leases = leases };
        await store.SetStatusAsync(Kinds.Networks.Name, network, KrautJson.Serialize(status), CancellationToken.None);
    }

    private static List<string> Leases(JsonObject network) =>
        network["status"]!["leases"]!.AsArray().Select(l => (string)l!["mac"]!).ToList();

    private static async Task<JsonObject> ReadAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static async Task<JsonArray> ReadArrayAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonArray>())!;
    }
}
