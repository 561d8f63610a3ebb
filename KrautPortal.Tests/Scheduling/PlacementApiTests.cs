using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Hosts;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Scheduling;

/// <summary>Placement through the API on two test-driver hosts, strategy spread: anti-affinity, the 409's explanation, the dry run, cordons.</summary>
public sealed class PlacementApiTests(SpreadPortal portal) : IClassFixture<SpreadPortal>
{
    [Fact]
    public async Task Spread_PutsAVmOnTheHostWithMostRoom_AndRecordsItInSpecAndStatus()
    {
        var preview = await portal.PreviewAsync(await portal.VmBodyAsync(ApiClient.UniqueName("spread"), 256));
        var best = (string)preview["host"]!;

        using var created = await portal.CreateAsync(await portal.VmBodyAsync(ApiClient.UniqueName("spread"), 256));
        var vm = await ApiClient.ReadAsync(created);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(best, (string)vm["spec"]!["host"]!);
        Assert.Equal(best, (string)vm["status"]!["host"]!); // the reconciler and capacity read it from the start
        var scores = preview["hosts"]!.AsArray().Select(h => (double?)h!["score"]).ToList();
        Assert.Equal(scores.Max(), scores[0]); // best first
    }

    [Fact]
    public async Task HardAntiAffinity_KeepsDbVmsApart_AndTheThirdIsRefusedWith409NamingTheFilterForEachHost()
    {
        var app = "db-" + Guid.NewGuid().ToString("N")[..6];
        var rule = SchedulingPortal.AntiAffinity($"app={app}");
        var hosts = new List<string>();
        var ids = new List<Guid>();
        for (var i = 0; i < 2; i++)
        {
            using var ok = await portal.CreateAsync(await portal.VmBodyAsync(ApiClient.UniqueName(app), 256, $"app={app}", rule));
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
            var vm = await ApiClient.ReadAsync(ok);
            hosts.Add((string)vm["spec"]!["host"]!);
            ids.Add(Guid.Parse((string)vm["id"]!));
            // The rule is part of the VM's document (and so of its history) like every field.
            Assert.Equal($"app={app}", (string)vm["spec"]!["placement"]!["antiAffinity"]![0]!["selector"]!);
        }
        Assert.Equal([SchedulingPortal.DefaultHost, portal.SmallHost], hosts.Order(StringComparer.Ordinal));
        // The reconciler defines each where it was placed (each test-driver host is its own hypervisor).
        foreach (var id in ids) await portal.Api.WaitForPhaseAsync(id, "running", TimeSpan.FromSeconds(30));
        var registry = portal.App.Service<HostRegistry>();
        for (var i = 0; i < 2; i++)
        {
            Assert.NotNull(registry.Find(hosts[i])!.Connection.FindDomain(ids[i]));
            Assert.Null(registry.Find(hosts[1 - i])!.Connection.FindDomain(ids[i]));
        }

        var name = ApiClient.UniqueName(app);
        using var refused = await portal.CreateAsync(await portal.VmBodyAsync(name, 256, $"app={app}", rule));

        var problem = await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Conflict, "No host can take this VM", "anti-affinity");
        Assert.Equal("https://kraut.example/problems/no-valid-host", (string)problem["type"]!);
        var verdicts = problem["hosts"]!.AsArray();
        Assert.Equal(2, verdicts.Count);
        foreach (var verdict in verdicts)
        {
            Assert.Equal("anti-affinity", (string)verdict!["filter"]!);
            Assert.Matches($"^runs '{app}-[0-9a-f]{{8}}', which matches \"app={app}\" \\(hard anti-affinity\\)$", (string)verdict["reason"]!);
        }
        // Nothing was stored.
        using var list = await portal.Admin.GetAsync($"/api/v1/vms?selector=app%3D{app}");
        Assert.Equal(2, (await ApiClient.ReadAsync(list))["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task SoftAntiAffinity_NeverRefuses()
    {
        var app = "cache-" + Guid.NewGuid().ToString("N")[..6];
        var rule = SchedulingPortal.AntiAffinity($"app={app}", hard: false);
        for (var i = 0; i < 3; i++)
        {
            using var ok = await portal.CreateAsync(await portal.VmBodyAsync(ApiClient.UniqueName(app), 256, $"app={app}", rule));
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }
    }

    [Fact]
    public async Task PlacementRules_WithABadSelector_AreRefusedAtCreate_NamingTheField()
    {
        var body = await portal.VmBodyAsync(ApiClient.UniqueName("bad"), 256, placement: SchedulingPortal.AntiAffinity("app in (db"));
        using var refused = await portal.CreateAsync(body);
        var problem = await ApiClient.AssertProblemAsync(refused, HttpStatusCode.UnprocessableEntity);
        Assert.True(problem["errors"]!.AsObject().ContainsKey("spec.placement.antiAffinity[0].selector"), problem.ToJsonString());

        var chosen = await portal.VmBodyAsync(ApiClient.UniqueName("pinned"), 256);
        chosen["spec"]!["host"] = portal.SmallHost;
        using var pinned = await portal.CreateAsync(chosen);
        await ApiClient.AssertProblemAsync(pinned, HttpStatusCode.UnprocessableEntity, "Kraut chooses the host");
    }

    [Fact]
    public async Task PlacementPreview_NamesTheRefusingFilterPerHost_WithNumbers_AndStoresNothing()
    {
        var before = (await portal.MemoryByHostAsync()).Values.Sum();
        // 2 GiB: more than the small host's 1.5 GiB ceiling; test:///default (2.5 GiB) may still take it.
        var preview = await portal.PreviewAsync(await portal.VmBodyAsync(ApiClient.UniqueName("preview"), 2048));

        var small = preview["hosts"]!.AsArray().Single(h => (string)h!["host"]! == portal.SmallHost)!;
        Assert.Equal("memory", (string)small["filter"]!);
        Assert.Matches(@"^[0-9.]+ (GiB|MiB|B) free after overcommit and reserve \(2 GiB × 1 − 512 MiB reserve = 1\.5 GiB, [0-9.]+ (GiB|MiB|B) promised\), needs 2 GiB$",
            (string)small["reason"]!);
        Assert.Null(small["score"]);
        Assert.Equal(before, (await portal.MemoryByHostAsync()).Values.Sum());
    }

    [Fact]
    public async Task Cordon_ExcludesTheHost_UntilUncordoned_AndIsShownOnTheHostsList()
    {
        var id = await portal.HostIdAsync(portal.SmallHost);
        try
        {
            using var cordoned = await portal.Admin.PostAsync($"/api/v1/hosts/{id}/cordon", null);
            Assert.Equal(HttpStatusCode.OK, cordoned.StatusCode);
            Assert.Equal(TestCredentials.GodActor, (string)(await ApiClient.ReadAsync(cordoned))["cordon"]!["by"]!);

            var preview = await portal.PreviewAsync(await portal.VmBodyAsync(ApiClient.UniqueName("cordon"), 256));
            var small = preview["hosts"]!.AsArray().Single(h => (string)h!["host"]! == portal.SmallHost)!;
            Assert.Equal(("cordoned", "cordoned by an administrator"), ((string?)small["filter"], (string?)small["reason"]));
            for (var i = 0; i < 2; i++)
            {
                using var created = await portal.CreateAsync(await portal.VmBodyAsync(ApiClient.UniqueName("cordon"), 256));
                Assert.Equal(SchedulingPortal.DefaultHost, (string)(await ApiClient.ReadAsync(created))["spec"]!["host"]!);
            }
            var listed = JsonNode.Parse(await portal.Admin.GetStringAsync("/api/v1/hosts"))!.AsArray();
            Assert.NotNull(listed.Single(h => (string)h!["id"]! == id)!["cordon"]);
        }
        finally
        {
            using var uncordoned = await portal.Admin.PostAsync($"/api/v1/hosts/{id}/uncordon", null);
            Assert.Equal(HttpStatusCode.OK, uncordoned.StatusCode);
        }
        var after = await portal.PreviewAsync(await portal.VmBodyAsync(ApiClient.UniqueName("cordon"), 256));
        Assert.NotEqual("cordoned", (string?)after["hosts"]!.AsArray().Single(h => (string)h!["host"]! == portal.SmallHost)!["filter"]);
    }
}
