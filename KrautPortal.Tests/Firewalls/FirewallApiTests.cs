using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.Firewalls;
using KrautPortal.Hypervisor.Routers;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Firewalls;

/// <summary>The firewalls API as a client sees it: create with ids, validation by field, one firewall per network, preview, counters, routers, If-Match, history and revert.</summary>
public sealed class FirewallApiTests(ApiClient api) : IClassFixture<ApiClient>
{
    private async Task<Guid> NetworkAsync() =>
        (Guid)(await api.CreateAsync("networks", await api.SampleAsync("networks", ApiClient.UniqueName("fw-net"))))["id"]!;

    private static JsonObject Body(string name, Guid? network, JsonArray? rules = null, JsonArray? forwards = null) => new()
    {
        ["name"] = name,
        ["metadata"] = new JsonObject { ["test"] = "firewall" },
        ["spec"] = new JsonObject
        {
            ["networkIds"] = network is { } n ? new JsonArray(n.ToString()) : new JsonArray(),
            ["rules"] = rules ?? new JsonArray(new JsonObject { ["direction"] = "inbound", ["action"] = "allow", ["protocol"] = "tcp", ["ports"] = new JsonArray("80") }),
            ["forwards"] = forwards ?? new JsonArray(),
        },
    };

    private static JsonObject TcpRule(string port, string? destinationSelector = null) => new()
    {
        ["protocol"] = "tcp", ["ports"] = new JsonArray(port), ["destinationSelector"] = destinationSelector,
    };

    [Fact]
    public async Task Create_GivesRulesAndForwardsIds_AndPreviewRendersThemForTheNetwork_WithoutARouter()
    {
        var network = await NetworkAsync();
        var vm = await api.CreateVmAsync(ApiClient.UniqueName("fw-vm"), null, network);
        var vmAddress = (string)vm["spec"]!["nics"]![0]!["ipv4Address"]!;
        var forwards = new JsonArray(new JsonObject { ["protocol"] = "tcp", ["upstreamPort"] = 8080, ["vmId"] = vm["id"]!.DeepClone(), ["port"] = 80 });

        var created = await api.CreateAsync("firewalls", Body(ApiClient.UniqueName("fw"), network, forwards: forwards));

        var ruleId = (Guid)created["spec"]!["rules"]![0]!["id"]!;
        var forwardId = (Guid)created["spec"]!["forwards"]![0]!["id"]!;
        Assert.NotEqual(Guid.Empty, ruleId);
        Assert.NotEqual(Guid.Empty, forwardId);

        using var response = await api.Http.PostAsync($"/api/v1/firewalls/{created["id"]}/preview", null);
        var preview = await ApiClient.ReadAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((bool)preview["draft"]!);
        var net = Assert.Single(preview["networks"]!.AsArray())!;
        Assert.Equal(network, (Guid)net["networkId"]!);
        var text = (string)net["ruleset"]!;
        Assert.StartsWith("table inet kraut\ndelete table inet kraut\n", text, StringComparison.Ordinal);
        Assert.Equal(RulesetHash.Of(text), (string)net["hash"]!);
        Assert.Contains($"tcp dport 80 counter accept comment \"kraut:{ruleId}\"", text, StringComparison.Ordinal);
        Assert.Contains($"dnat ip to {vmAddress}:80 comment \"kraut:fwd:{forwardId}:dnat\"", text, StringComparison.Ordinal);
        Assert.Equal(FirewallRulesets.NoRouter, (string?)net["message"]);
        Assert.Null(net["loadedHash"]);
        Assert.False((bool)net["sameAsLoaded"]!);
        Assert.StartsWith("@@ -1,0 +1,", (string)net["diff"]!, StringComparison.Ordinal);
        Nft.AssertValid(text);

        var counters = await api.GetArrayAsync($"/api/v1/firewalls/{created["id"]}/counters");
        Assert.Equal("No router on this network.", (string?)counters[0]!["message"]);
        Assert.Equal(ruleId, (Guid)counters[0]!["rules"]![0]!["id"]!);
        Assert.False((bool)counters[0]!["rules"]![0]!["loaded"]!);
        var routers = await api.GetArrayAsync($"/api/v1/firewalls/{created["id"]}/routers");
        Assert.Null(routers[0]!["router"]);
        Assert.Equal("No router on this network.", (string?)routers[0]!["message"]);
    }

    [Fact]
    public async Task PreviewOfADraft_IsValidatedButNotSaved()
    {
        var created = await api.CreateAsync("firewalls", Body(ApiClient.UniqueName("fw"), await NetworkAsync()));
        var url = $"/api/v1/firewalls/{created["id"]}/preview";
        var draft = created["spec"]!.DeepClone().AsObject();
        draft["rules"]!.AsArray().Add(TcpRule("8443"));

        using var ok = await api.PostAsync(url, new JsonObject { ["spec"] = draft });
        var preview = await ApiClient.ReadAsync(ok);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.True((bool)preview["draft"]!);
        Assert.Contains("tcp dport 8443 counter accept", (string)preview["networks"]![0]!["ruleset"]!, StringComparison.Ordinal);

        // A bare spec works as well; a bad one is refused like a write, naming the field.
        draft["rules"]![1]!["ports"] = new JsonArray("70000");
        using var bad = await api.PostAsync(url, draft);
        var problem = await ApiClient.AssertProblemAsync(bad, HttpStatusCode.UnprocessableEntity, "spec.rules[1].ports[0]");
        Assert.NotNull(problem["errors"]!["spec.rules[1].ports[0]"]);

        var after = await api.GetAsync($"/api/v1/firewalls/{created["id"]}");
        Assert.Equal(1, (long)after["version"]!);
        Assert.Single(after["spec"]!["rules"]!.AsArray());
    }

    [Fact]
    public async Task InvalidSpecs_AreProblemsNamingTheField()
    {
        var network = await NetworkAsync();
        async Task RefusedAsync(JsonObject body, string field, string says)
        {
            using var response = await api.PostAsync("/api/v1/firewalls", body);
            var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, field);
            Assert.Contains(problem["errors"]![field]!.AsArray(), m => ((string)m!).Contains(says, StringComparison.Ordinal));
        }

        await RefusedAsync(Body(ApiClient.UniqueName("fw"), network, new JsonArray(TcpRule("80"), new JsonObject { ["sources"] = new JsonArray("10.0.0.300/8") })),
            "spec.rules[1].sources[0]", "not an address or CIDR");
        await RefusedAsync(Body(ApiClient.UniqueName("fw"), network, new JsonArray(TcpRule("80", "role in (")), null), "spec.rules[0].destinationSelector", "Invalid selector");
        await RefusedAsync(Body(ApiClient.UniqueName("fw"), Guid.NewGuid()), "spec.networkIds[0]", "There is no network");
        var stranger = Guid.NewGuid();
        await RefusedAsync(Body(ApiClient.UniqueName("fw"), network, forwards: new JsonArray(new JsonObject { ["upstreamPort"] = 80, ["vmId"] = stranger.ToString(), ["port"] = 80 })),
            "spec.forwards[0].vmId", $"There is no VM with id {stranger}.");
        // A VM that exists but is on no attached network.
        var elsewhere = await api.CreateVmAsync(ApiClient.UniqueName("fw-vm"), null, await NetworkAsync());
        await RefusedAsync(Body(ApiClient.UniqueName("fw"), network, forwards: new JsonArray(new JsonObject { ["upstreamPort"] = 80, ["vmId"] = elsewhere["id"]!.DeepClone(), ["port"] = 80 })),
            "spec.forwards[0].vmId", "has no NIC on a network this firewall is attached to");
    }

    [Fact]
    public async Task ANetwork_CarriesOneFirewall_EvenWhenTwoWritesRace()
    {
        var network = await NetworkAsync();
        var bodies = Enumerable.Range(0, 4).Select(i => Body(ApiClient.UniqueName($"race{i}"), network)).ToList();
        var responses = await Task.WhenAll(bodies.Select(b => api.PostAsync("/api/v1/firewalls", b)));
        try
        {
            Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
            foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
                await ApiClient.AssertProblemAsync(refused, HttpStatusCode.UnprocessableEntity, "spec.networkIds[0]", "already has a firewall");
        }
        finally
        {
            foreach (var r in responses) r.Dispose();
        }

        // Moving the one firewall off frees the network for another.
        var holder = (await api.ListAllAsync("firewalls")).Single(f => f["spec"]!["networkIds"]!.AsArray().Any(n => (Guid)n! == network));
        using var detach = await api.PatchAsync($"/api/v1/firewalls/{holder["id"]}", new JsonObject { ["spec"] = new JsonObject { ["networkIds"] = new JsonArray() } });
        Assert.Equal(HttpStatusCode.OK, detach.StatusCode);
        await api.CreateAsync("firewalls", Body(ApiClient.UniqueName("after"), network));
    }

    [Fact]
    public async Task IfMatch_RefusesALostUpdate()
    {
        var created = await api.CreateAsync("firewalls", Body(ApiClient.UniqueName("fw"), null));
        var url = $"/api/v1/firewalls/{created["id"]}";
        using var first = await api.PatchAsync(url, new JsonObject { ["spec"] = new JsonObject { ["description"] = "one" } }, "\"1\"");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var stale = await api.PatchAsync(url, new JsonObject { ["spec"] = new JsonObject { ["description"] = "two" } }, "\"1\"");
        await ApiClient.AssertProblemAsync(stale, HttpStatusCode.PreconditionFailed, "version 1", "version 2");
        Assert.Equal(2, ApiClient.ETagVersion(stale));
        Assert.Equal("one", (string?)(await api.GetAsync(url))["spec"]!["description"]);
    }

    [Fact]
    public async Task Revert_BringsBackTheOldRules_WithTheirIds_AndThePreviewFollows()
    {
        var created = await api.CreateAsync("firewalls", Body(ApiClient.UniqueName("fw"), await NetworkAsync()));
        var url = $"/api/v1/firewalls/{created["id"]}";
        var original = created["spec"]!["rules"]!.ToJsonString();
        using (var changed = await api.PatchAsync(url, new JsonObject { ["spec"] = new JsonObject { ["rules"] = new JsonArray(TcpRule("443")) } }))
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Contains("tcp dport 443 counter accept", await PreviewTextAsync(url), StringComparison.Ordinal);

        var history = await api.GetArrayAsync(url + "/history");
        Assert.Equal([2L, 1L], history.Select(h => (long)h!["version"]!));
        var diff = await api.GetAsync(url + "/diff?from=1&to=2");
        Assert.NotEmpty(diff["changes"]!.AsArray());

        using var revert = await api.PostAsync(url + "/revert", new JsonObject { ["version"] = 1 });
        var reverted = await ApiClient.ReadAsync(revert);
        Assert.Equal(HttpStatusCode.OK, revert.StatusCode);
        Assert.Equal(3, (long)reverted["version"]!);
        Assert.Equal(original, reverted["spec"]!["rules"]!.ToJsonString());
        var text = await PreviewTextAsync(url);
        Assert.Contains("tcp dport 80 counter accept", text, StringComparison.Ordinal);
        Assert.DoesNotContain("dport 443", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASelector_FollowsTheOwnersVmsMetadata()
    {
        var network = await NetworkAsync();
        var vm = await api.CreateVmAsync(ApiClient.UniqueName("fw-web"), new JsonObject { ["role"] = "plain" }, network);
        var address = (string)vm["spec"]!["nics"]![0]!["ipv4Address"]!;
        var created = await api.CreateAsync("firewalls", Body(ApiClient.UniqueName("fw"), network, new JsonArray(TcpRule("80", "role=web"))));
        var url = $"/api/v1/firewalls/{created["id"]}";
        Assert.DoesNotContain(address, await PreviewTextAsync(url), StringComparison.Ordinal);

        using (var labelled = await api.PatchAsync($"/api/v1/vms/{vm["id"]}", new JsonObject { ["metadata"] = new JsonObject { ["role"] = "web" } }))
            Assert.Equal(HttpStatusCode.OK, labelled.StatusCode);
        // The set holds the NIC's address (and whatever address the VM is seen with, which comes and goes with the reconciler).
        Assert.Matches($"set r_[0-9a-f]{{32}}_d4 {{[^}}]*elements = {{[^}}]*\\b{System.Text.RegularExpressions.Regex.Escape(address)}\\b", await PreviewTextAsync(url));

        using (var back = await api.PatchAsync($"/api/v1/vms/{vm["id"]}", new JsonObject { ["metadata"] = new JsonObject { ["role"] = "plain" } }))
            Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.DoesNotContain(address, await PreviewTextAsync(url), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePreview_IsByteForByteWhatARouterOfTheNetworkIsGivenToApply()
    {
        var network = await NetworkAsync();
        var vm = await api.CreateVmAsync(ApiClient.UniqueName("fw-vm"), new JsonObject { ["tier"] = "db" }, network);
        var forwards = new JsonArray(new JsonObject { ["protocol"] = "udp", ["upstreamPort"] = 5353, ["vmId"] = vm["id"]!.DeepClone(), ["port"] = 53 });
        var created = await api.CreateAsync("firewalls", Body(ApiClient.UniqueName("fw"), network, new JsonArray(TcpRule("5432", "tier=db")), forwards));
        // Selectors also take the addresses a VM is seen with: let the reconciler see them first, so both renders read the same.
        await api.WaitForVmAsync((Guid)vm["id"]!, v => v["status"]!["addresses"]!.AsArray().Count > 0, "to be seen with an address");

        using var response = await api.Http.PostAsync($"/api/v1/firewalls/{created["id"]}/preview", null);
        var previewed = (await ApiClient.ReadAsync(response))["networks"]![0]!;

        await using var scope = api.App.Services.CreateAsyncScope();
        var reader = scope.ServiceProvider.GetRequiredService<KindReader>();
        var networkSpec = (await reader.FindAsync<NetworkSpec, NetworkStatus>(Kinds.Networks, network, CancellationToken.None))!.Spec;
        var desired = await scope.ServiceProvider.GetRequiredService<FirewallRulesets>()
            .DesiredAsync(network, DefaultLegs.For(networkSpec), [], CancellationToken.None);
        Assert.Equal((Guid)created["id"]!, desired.FirewallId);
        Assert.Equal(1, desired.FirewallVersion);
        Assert.Equal((string)previewed["ruleset"]!, desired.Ruleset.Text);
        Assert.Equal((string)previewed["hash"]!, desired.Ruleset.Hash);
    }

    [Fact]
    public async Task ANetworkDeletedUnderAFirewall_DropsOutOfItOnTheNextEdit()
    {
        var kept = await NetworkAsync();
        var doomed = await NetworkAsync();
        var body = Body(ApiClient.UniqueName("fw"), kept);
        body["spec"]!["networkIds"]!.AsArray().Add(doomed.ToString());
        var created = await api.CreateAsync("firewalls", body);
        using (var deleted = await api.DeleteAsync($"/api/v1/networks/{doomed}"))
            Assert.True(deleted.IsSuccessStatusCode, $"deleting the network: {(int)deleted.StatusCode}");
        await api.WaitUntilGoneAsync("networks", doomed);

        using var edit = await api.PatchAsync($"/api/v1/firewalls/{created["id"]}", new JsonObject { ["spec"] = new JsonObject { ["description"] = "still editable" } });
        var edited = await ApiClient.ReadAsync(edit);
        Assert.True(edit.StatusCode == HttpStatusCode.OK, edited.ToJsonString());
        Assert.Equal([kept], edited["spec"]!["networkIds"]!.AsArray().Select(n => (Guid)n!));
    }

    private async Task<string> PreviewTextAsync(string firewallUrl)
    {
        using var response = await api.Http.PostAsync(firewallUrl + "/preview", null);
        var preview = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, preview.ToJsonString());
        return (string)preview["networks"]![0]!["ruleset"]!;
    }
}
