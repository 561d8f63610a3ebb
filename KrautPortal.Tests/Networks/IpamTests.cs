using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Networks.Ipam;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Networks;

/// <summary>IP and MAC allocation through the API against SQLite: uniqueness under load, reservations, full subnets, release.</summary>
public sealed class IpamTests(ApiClient api) : IClassFixture<ApiClient>
{
    private static int _wide;

    [Fact]
    public async Task AThousandConcurrentNicAdds_GetAThousandDistinctAddressesAndMacs()
    {
        const int vmCount = 125, nicsPerVm = 8;
        var network = await CreateNetworkAsync(WideSubnet());
        var vms = new List<Guid>();
        for (var i = 0; i < vmCount; i++) vms.Add((Guid)(await CreateVmAsync([], power: "stopped"))["id"]!);

        // A client of its own with a long timeout: the adds to one network are serialised (its allocation lock), so on
        // PostgreSQL under a loaded CI machine the last of a thousand waits longer than HttpClient's default 100 s. What
        // this test proves is uniqueness under contention; how fast it goes is the benchmarks' business.
        using var patient = api.App.CreateClient();
        patient.Timeout = TimeSpan.FromMinutes(6);
        var adds = vms.SelectMany(vm => Enumerable.Range(0, nicsPerVm).Select(async _ =>
        {
            using var response = await patient.PostAsync($"/api/v1/vms/{vm}/nics", ApiClient.Json(new JsonObject { ["networkId"] = network }));
            var body = await ApiClient.ReadAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToJsonString());
            return (Vm: vm, Address: (string)body["ipv4Address"]!, Mac: (string)body["mac"]!);
        })).ToList();
        var results = await Task.WhenAll(adds);

        Assert.Equal(1000, results.Length);
        Assert.Equal(1000, results.Select(r => r.Address).Distinct().Count());
        Assert.Equal(1000, results.Select(r => r.Mac).Distinct().Count());
        var stored = await AllocationsAsync(network);
        Assert.Equal(1000, stored.Count);
        Assert.Equal(results.Select(r => r.Address).Order(), stored.Select(a => a.Address).Order());
        // Each VM's record holds exactly the addresses the API handed out for it.
        foreach (var vm in vms.Take(5))
        {
            var nics = (await api.GetAsync($"/api/v1/vms/{vm}"))["spec"]!["nics"]!.AsArray();
            Assert.Equal(results.Where(r => r.Vm == vm).Select(r => r.Address).Order(), nics.Select(n => (string)n!["ipv4Address"]!).Order());
        }
    }

    [Fact]
    public async Task AFreedAddress_IsNotHandedToTheNextNic_WhileOthersAreFree()
    {
        // dnsmasq still holds the removed NIC's lease on its address; a new NIC reserved there would get no answer.
        var network = await CreateNetworkAsync(ApiClient.NextSubnet());
        var vm = (Guid)(await CreateVmAsync([], power: "stopped"))["id"]!;
        async Task<JsonNode> AddAsync()
        {
            using var response = await api.PostAsync($"/api/v1/vms/{vm}/nics", new JsonObject { ["networkId"] = network });
            var body = await ApiClient.ReadAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToJsonString());
            return body;
        }

        var first = await AddAsync();
        using (var removed = await api.DeleteAsync($"/api/v1/vms/{vm}/nics/{first["id"]}"))
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Empty(await AllocationsAsync(network));
        var second = await AddAsync();

        Assert.NotEqual((string)first["ipv4Address"]!, (string)second["ipv4Address"]!);
    }

    [Fact]
    public async Task AFullSubnet_Is409_AndLeavesNothingHalfMade()
    {
        // A /29: 8 addresses, minus network, broadcast, the host's .1 and one excluded: 4 for NICs.
        var cidr = ApiClient.NextSubnet().Replace(".0/24", ".0/29", StringComparison.Ordinal);
        var network = await CreateNetworkAsync(cidr, excluded: [cidr[..^5] + ".6"]);
        var vm = (Guid)(await CreateVmAsync([network, network, network, network]))["id"]!;
        var before = await AllocationsAsync(network);

        using var response = await api.PostAsync($"/api/v1/vms/{vm}/nics", new JsonObject { ["networkId"] = network });

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Conflict, "no free IPv4 address");
        Assert.Equal(4, before.Count);
        Assert.DoesNotContain(before, a => a.Address.EndsWith(".6", StringComparison.Ordinal) || a.Address.EndsWith(".1", StringComparison.Ordinal));
        Assert.Equal(4, (await AllocationsAsync(network)).Count);
        Assert.Equal(4, (await api.GetAsync($"/api/v1/vms/{vm}"))["spec"]!["nics"]!.AsArray().Count);
        using var db = Db(out var scope);
        await using (scope) Assert.Equal(4, await db.MacAllocations.CountAsync(m => m.VmId == vm));
    }

    [Fact]
    public async Task Reservations_AreKept_AndConflictsAreNamedPerField()
    {
        var cidr = ApiClient.NextSubnet();
        var prefix = cidr[..^5];
        var network = await CreateNetworkAsync(cidr, excluded: [prefix + ".100-" + prefix + ".110"]);
        var created = await CreateVmAsync([network], addresses: [prefix + ".50"]);
        var nic = created["spec"]!["nics"]![0]!;
        Assert.Equal(prefix + ".50", (string?)nic["ipv4Address"]);
        Assert.Matches("^52:54:00(:[0-9a-f]{2}){3}$", (string?)nic["mac"]);
        var vm = (Guid)created["id"]!;

        async Task AssertRefusedAsync(string address, string message)
        {
            using var response = await api.PostAsync($"/api/v1/vms/{vm}/nics", new JsonObject { ["networkId"] = network, ["ipv4Address"] = address });
            var errors = (await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity))["errors"]!.AsObject();
            Assert.Contains(message, (string?)errors["spec.nics[1].ipv4Address"]![0], StringComparison.Ordinal);
        }
        await AssertRefusedAsync(prefix + ".50", "already in use");
        await AssertRefusedAsync(prefix + ".1", "host's bridge");
        await AssertRefusedAsync(prefix + ".105", "excluded");
        await AssertRefusedAsync(prefix + ".255", "network or broadcast");
        await AssertRefusedAsync("192.0.2.9", "not inside");
        await AssertRefusedAsync("not-an-ip", "not an IPv4 address");

        using var macClash = await api.PostAsync($"/api/v1/vms/{vm}/nics", new JsonObject { ["networkId"] = network, ["mac"] = (string?)nic["mac"] });
        var macErrors = (await ApiClient.AssertProblemAsync(macClash, HttpStatusCode.UnprocessableEntity))["errors"]!.AsObject();
        Assert.True(macErrors.ContainsKey("spec.nics") || macErrors.ContainsKey("spec.nics[1].mac"), macErrors.ToJsonString());

        using var changed = await api.PatchAsync($"/api/v1/vms/{vm}", new JsonObject
        {
            ["spec"] = new JsonObject { ["nics"] = new JsonArray(new JsonObject { ["id"] = nic["id"]!.DeepClone(), ["networkId"] = network, ["ipv4Address"] = prefix + ".51" }) },
        });
        var changeErrors = (await ApiClient.AssertProblemAsync(changed, HttpStatusCode.UnprocessableEntity))["errors"]!.AsObject();
        Assert.Contains("keeps its address", (string?)changeErrors["spec.nics[0].ipv4Address"]![0], StringComparison.Ordinal);
        Assert.Single(await AllocationsAsync(network));

        using var gateway = await api.PatchAsync($"/api/v1/networks/{network}", new JsonObject
        {
            ["spec"] = new JsonObject { ["gateway"] = new JsonObject { ["kind"] = "address", ["address"] = prefix + ".50" } },
        });
        var gatewayErrors = (await ApiClient.AssertProblemAsync(gateway, HttpStatusCode.UnprocessableEntity))["errors"]!.AsObject();
        Assert.Contains("already a NIC's address", (string?)gatewayErrors["spec.gateway.address"]![0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemovingANic_OrDeletingTheVm_FreesItsAddressAndMac()
    {
        var cidr = ApiClient.NextSubnet();
        var prefix = cidr[..^5];
        var network = await CreateNetworkAsync(cidr);
        var vm = (Guid)(await CreateVmAsync([network], addresses: [prefix + ".60"]))["id"]!;
        using (var added = await api.PostAsync($"/api/v1/vms/{vm}/nics", new JsonObject { ["networkId"] = network, ["ipv4Address"] = prefix + ".61" }))
        {
            var nic = await ApiClient.ReadAsync(added);
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            using var removed = await api.DeleteAsync($"/api/v1/vms/{vm}/nics/{nic["id"]}");
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }
        Assert.Equal([prefix + ".60"], (await AllocationsAsync(network)).Select(a => a.Address));

        var other = (Guid)(await CreateVmAsync([network], addresses: [prefix + ".61"]))["id"]!;
        using (var deleted = await api.DeleteAsync($"/api/v1/vms/{vm}")) Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await api.WaitUntilGoneAsync("vms", vm);

        Assert.Equal([prefix + ".61"], (await AllocationsAsync(network)).Select(a => a.Address));
        using var db = Db(out var scope);
        await using (scope) Assert.Equal(0, await db.MacAllocations.CountAsync(m => m.VmId == vm));
        var again = await CreateVmAsync([network], addresses: [prefix + ".60"]);
        Assert.Equal(prefix + ".60", (string?)again["spec"]!["nics"]![0]!["ipv4Address"]);
        Assert.NotEqual(Guid.Empty, other);
    }

    [Fact]
    public async Task TheStartupSweep_FreesAllocationsOfNicsThatNoLongerExist()
    {
        var cidr = ApiClient.NextSubnet();
        var network = await CreateNetworkAsync(cidr);
        var vm = (Guid)(await CreateVmAsync([network]))["id"]!;
        using (var db = Db(out var scope))
        await using (scope)
        {
            db.IpAllocations.Add(new IpAllocationRow { NetworkId = network, Address = cidr[..^5] + ".77", Family = 4, NicId = Guid.NewGuid(), VmId = vm });
            db.MacAllocations.Add(new MacAllocationRow { Mac = "52:54:00:de:ad:01", NicId = Guid.NewGuid(), VmId = Guid.NewGuid() });
            await db.SaveChangesAsync();
        }

        var freed = await IpamSweep.RunAsync(api.App.Services, CancellationToken.None);

        Assert.Equal(2, freed);
        Assert.Single(await AllocationsAsync(network));
    }

    [Fact]
    public async Task Dhcpv6Networks_AllocateIpv6_SlaacOnesShowTheEui64Address()
    {
        var cidr = ApiClient.NextSubnet();
        var third = cidr.Split('.')[2];
        var dhcpv6 = await CreateNetworkAsync(cidr, ipv6: $"fd00:ab:{third}::/64", ipv6Mode: "dhcpv6");
        var slaac = await CreateNetworkAsync(null, ipv6: $"fd00:ac:{third}::/64", ipv6Mode: "slaac");
        var vm = await CreateVmAsync([dhcpv6, slaac]);
        var nics = vm["spec"]!["nics"]!.AsArray();

        Assert.Equal($"fd00:ab:{third}::2", (string?)nics[0]!["ipv6Address"]);
        Assert.Null(nics[1]!["ipv6Address"]);
        Assert.Null(nics[1]!["ipv4Address"]);
        var addresses = await api.GetArrayAsync($"/api/v1/networks/{slaac}/addresses");
        var mine = addresses.Single(a => (string?)a!["usedBy"] == "nic (SLAAC)")!;
        Assert.Equal((string?)nics[1]!["mac"], (string?)mine["mac"]);
        Assert.StartsWith($"fd00:ac:{third}:0:5054:ff:fe", (string?)mine["address"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheAddressList_ShowsHostAndNics_AndDeletingAUsedNetworkNamesItsVms()
    {
        var cidr = ApiClient.NextSubnet();
        var network = await CreateNetworkAsync(cidr);
        var name = ApiClient.UniqueName("user");
        var vm = await CreateVmAsync([network], name: name);
        var nic = vm["spec"]!["nics"]![0]!;

        var addresses = await api.GetArrayAsync($"/api/v1/networks/{network}/addresses");

        Assert.Contains(addresses, a => (string?)a!["usedBy"] == "host" && (string?)a["address"] == cidr[..^5] + ".1");
        var entry = addresses.Single(a => (string?)a!["usedBy"] == "nic")!;
        Assert.Equal(name, (string?)entry["vmName"]);
        Assert.Equal((string?)nic["ipv4Address"], (string?)entry["address"]);
        Assert.Equal((string?)nic["mac"], (string?)entry["mac"]);
        Assert.Equal((string?)nic["id"], (string?)entry["nicId"]);
        using var delete = await api.DeleteAsync($"/api/v1/networks/{network}");
        await ApiClient.AssertProblemAsync(delete, HttpStatusCode.Conflict, name, "Remove their NICs");
    }

    private static string WideSubnet() => $"10.{150 + Interlocked.Increment(ref _wide) * 4}.0.0/22";

    private async Task<Guid> CreateNetworkAsync(string? cidr, string[]? excluded = null, string? ipv6 = null, string ipv6Mode = "slaac")
    {
        var spec = new JsonObject { ["ipv4Cidr"] = cidr, ["ipv6Prefix"] = ipv6, ["ipv6Mode"] = ipv6Mode };
        if (excluded is not null) spec["excluded"] = new JsonArray(excluded.Select(e => (JsonNode)e!).ToArray());
        var created = await api.CreateAsync("networks", new JsonObject { ["name"] = ApiClient.UniqueName("ipam"), ["spec"] = spec });
        return (Guid)created["id"]!;
    }

    private async Task<JsonObject> CreateVmAsync(Guid[] networks, string[]? addresses = null, string power = "running", string? name = null)
    {
        var body = await api.SampleAsync("vms", name ?? ApiClient.UniqueName("ipam"));
        body["spec"]!["power"] = power;
        body["spec"]!["nics"] = new JsonArray(networks.Select((n, i) => (JsonNode)new JsonObject
        {
            ["networkId"] = n,
            ["ipv4Address"] = addresses is not null && i < addresses.Length ? addresses[i] : null,
        }).ToArray());
        return await api.CreateAsync("vms", body);
    }

    private KrautDbContext Db(out AsyncServiceScope scope)
    {
        scope = api.App.Services.CreateAsyncScope();
        return scope.ServiceProvider.GetRequiredService<KrautDbContext>();
    }

    private async Task<List<IpAllocationRow>> AllocationsAsync(Guid network)
    {
        await using var scope = api.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        return await db.IpAllocations.AsNoTracking().Where(a => a.NetworkId == network).ToListAsync();
    }
}
