using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Networks;

/// <summary>Every part of a network's v2 spec is checked, and each refusal names the field it is about.</summary>
public sealed class NetworkValidationTests(ApiClient api) : IClassFixture<ApiClient>
{
    public static TheoryData<string, string, string> BadSpecs => new()
    {
        { """{"description":"nothing"}""", "spec.ipv4Cidr", "IPv6 prefix" },
        { """{"ipv4Cidr":"10.1.2.3/24"}""", "spec.ipv4Cidr", "host bits" },
        { """{"ipv4Cidr":"banana"}""", "spec.ipv4Cidr", "not an IPv4 subnet" },
        { """{"ipv6Prefix":"fd00:99::/80","ipv6Mode":"slaac"}""", "spec.ipv6Prefix", "SLAAC needs a /64" },
        { """{"ipv6Prefix":"fd00:99::1/64"}""", "spec.ipv6Prefix", "host bits" },
        { """{"ipv4Cidr":"@net","gateway":{"kind":"address","address":"10.99.99.1"}}""", "spec.gateway.address", "not inside" },
        { """{"ipv4Cidr":"@net","gateway":{"kind":"address","address":"@v4.0"}}""", "spec.gateway.address", "network or broadcast" },
        { """{"ipv4Cidr":"@net","gateway":{"kind":"address","address":"@v4.255"}}""", "spec.gateway.address", "network or broadcast" },
        { """{"ipv4Cidr":"@net","gateway":{"kind":"none","nat":true}}""", "spec.gateway.nat", "needs gateway kind 'host'" },
        { """{"ipv4Cidr":"@net","gateway":{"kind":"vm"}}""", "spec.gateway.vmId", "VM that routes" },
        { """{"ipv4Cidr":"@net","gateway":{"kind":"vm","vmId":"0196a0c0-0000-7000-8000-000000000001","nicId":"0196a0c0-0000-7000-8000-000000000002"}}""", "spec.gateway.vmId", "no VM with id" },
        { """{"ipv4Cidr":"@net","dnsServers":["1.1.1.1","dns.example"]}""", "spec.dnsServers[1]", "not an IPv4 or IPv6 address" },
        { """{"ipv4Cidr":"@net","dnsDomain":"bad_domain!"}""", "spec.dnsDomain", "not a domain name" },
        { """{"ipv4Cidr":"@net","mtu":67}""", "spec.mtu", "between 68 and 9000" },
        { """{"ipv4Cidr":"@net","mtu":9001}""", "spec.mtu", "between 68 and 9000" },
        { """{"ipv4Cidr":"@net","routes":[{"destination":"10.9.0.0/33","via":"@v4.5"}]}""", "spec.routes[0].destination", "CIDR" },
        { """{"ipv4Cidr":"@net","routes":[{"destination":"10.9.0.0/16","via":"10.99.99.5"}]}""", "spec.routes[0].via", "inside the network" },
        { """{"ipv4Cidr":"@net","excluded":["@v4.20-@v4.10"]}""", "spec.excluded[0]", "first not above last" },
        { """{"ipv4Cidr":"@net","excluded":["10.99.99.7"]}""", "spec.excluded[0]", "not inside" },
        { """{"ipv4Cidr":"@net","vxlan":{"vni":0}}""", "spec.vxlan.vni", "between 1 and 16777215" },
        { """{"ipv4Cidr":"@net","vxlan":{"vni":16777216}}""", "spec.vxlan.vni", "between 1 and 16777215" },
        { """{"ipv4Cidr":"@net","vxlan":{"vni":77,"remotes":["203.0.113.9","far.away"]}}""", "spec.vxlan.remotes[1]", "not an IPv4 or IPv6 address" },
        { """{"ipv4Cidr":"@net","vxlan":{"vni":78,"group":"203.0.113.9"}}""", "spec.vxlan.group", "not a multicast address" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public async Task Create_WithABadField_Is422_NamingTheField(string spec, string field, string message)
    {
        var prefix = ApiClient.NextSubnet()[..^5]; // "10.x.y"
        var text = spec.Replace("@net", prefix + ".0/24", StringComparison.Ordinal).Replace("@v4", prefix, StringComparison.Ordinal);
        var body = new JsonObject { ["name"] = ApiClient.UniqueName("bad"), ["spec"] = JsonNode.Parse(text) };

        using var response = await api.PostAsync("/api/v1/networks", body);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"expected an error on {field}, got {errors.ToJsonString()}");
        Assert.Contains(message, string.Join(" ", errors[field]!.AsArray().Select(m => (string?)m)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_AFullV2Spec_IsAccepted_AndStoredNormalized()
    {
        var prefix = ApiClient.NextSubnet()[..^5];
        var body = new JsonObject
        {
            ["name"] = ApiClient.UniqueName("full"),
            ["spec"] = new JsonObject
            {
                ["ipv4Cidr"] = prefix + ".0/24",
                ["ipv4Mode"] = "static",
                ["ipv6Prefix"] = $"FD00:{prefix.Split('.')[1]}:{prefix.Split('.')[2]}:0::/64",
                ["ipv6Mode"] = "dhcpv6",
                ["gateway"] = new JsonObject { ["kind"] = "address", ["address"] = prefix + ".1" },
                ["dnsServers"] = new JsonArray("9.9.9.9", "2620:fe::fe"),
                ["dnsDomain"] = "lab.example",
                ["mtu"] = 1450,
                ["routes"] = new JsonArray(new JsonObject { ["destination"] = "192.168.50.0/24", ["via"] = prefix + ".2" }),
                ["excluded"] = new JsonArray(prefix + ".200-" + prefix + ".220", prefix + ".7"),
                ["vxlan"] = new JsonObject { ["vni"] = 100_000 + int.Parse(prefix.Split('.')[2], System.Globalization.CultureInfo.InvariantCulture), ["remotes"] = new JsonArray("203.0.113.7") },
            },
        };

        var created = await api.CreateAsync("networks", body);

        Assert.Equal($"fd00:{prefix.Split('.')[1]}:{prefix.Split('.')[2]}::/64", (string?)created["spec"]!["ipv6Prefix"]);
        Assert.Equal(1450, (int)created["spec"]!["mtu"]!);
    }

    [Fact]
    public async Task Overlaps_AndDuplicateVni_AndSubnetChange_AreRefused_NamingTheFields()
    {
        var cidr = ApiClient.NextSubnet();
        var first = await api.CreateAsync("networks", new JsonObject
        {
            ["name"] = ApiClient.UniqueName("first"),
            ["spec"] = new JsonObject { ["ipv4Cidr"] = cidr, ["ipv6Prefix"] = "fd00:7e57:0:1::/64", ["vxlan"] = new JsonObject { ["vni"] = 909090 } },
        });
        var clash = new JsonObject
        {
            ["name"] = ApiClient.UniqueName("clash"),
            ["spec"] = new JsonObject { ["ipv4Cidr"] = cidr[..^3] + "/25", ["ipv6Prefix"] = "fd00:7e57::/48", ["ipv6Mode"] = "dhcpv6", ["vxlan"] = new JsonObject { ["vni"] = 909090 } },
        };

        using var response = await api.PostAsync("/api/v1/networks", clash);
        var errors = (await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity))["errors"]!.AsObject();
        Assert.Contains($"network '{first["name"]}'", (string?)errors["spec.ipv4Cidr"]![0], StringComparison.Ordinal);
        Assert.Contains("overlaps", (string?)errors["spec.ipv6Prefix"]![0], StringComparison.Ordinal);
        Assert.Contains("VNI 909090", (string?)errors["spec.vxlan.vni"]![0], StringComparison.Ordinal);

        using var change = await api.PatchAsync($"/api/v1/networks/{first["id"]}", new JsonObject { ["spec"] = new JsonObject { ["ipv4Cidr"] = ApiClient.NextSubnet() } });
        var changeErrors = (await ApiClient.AssertProblemAsync(change, HttpStatusCode.UnprocessableEntity))["errors"]!.AsObject();
        Assert.Contains("cannot change", (string?)changeErrors["spec.ipv4Cidr"]![0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatewayVm_MustBeANicOfAVisibleVm_OnThisNetwork()
    {
        var network = await api.CreateAsync("networks", await api.SampleAsync("networks", ApiClient.UniqueName("gwnet")));
        var networkId = (Guid)network["id"]!;
        var other = await api.CreateAsync("networks", await api.SampleAsync("networks", ApiClient.UniqueName("other")));
        var vm = await api.CreateVmAsync(ApiClient.UniqueName("router"), null, networkId, (Guid)other["id"]!);
        var nics = vm["spec"]!["nics"]!.AsArray();

        using var wrongNic = await api.PatchAsync($"/api/v1/networks/{networkId}", new JsonObject
        {
            ["spec"] = new JsonObject { ["gateway"] = new JsonObject { ["kind"] = "vm", ["vmId"] = vm["id"]!.DeepClone(), ["nicId"] = nics[1]!["id"]!.DeepClone() } },
        });
        var errors = (await ApiClient.AssertProblemAsync(wrongNic, HttpStatusCode.UnprocessableEntity))["errors"]!.AsObject();
        Assert.Contains("not on this network", (string?)errors["spec.gateway.nicId"]![0], StringComparison.Ordinal);

        using var right = await api.PatchAsync($"/api/v1/networks/{networkId}", new JsonObject
        {
            ["spec"] = new JsonObject { ["gateway"] = new JsonObject { ["kind"] = "vm", ["vmId"] = vm["id"]!.DeepClone(), ["nicId"] = nics[0]!["id"]!.DeepClone() } },
        });
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
    }
}
