using System.Net;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Api;

/// <summary>VMs on libvirt's test driver: life cycle, actions one by one and by selector, NICs, deletion.</summary>
public sealed class VmTests(ApiClient api) : IClassFixture<ApiClient>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Create_ReachesRunning_WithItsDomainAndOverlayDisk()
    {
        var seeded = await api.SeededAsync();
        var name = ApiClient.UniqueName("vm");

        var created = await api.CreateVmAsync(name, null, seeded.DefaultNetworkId);
        var id = IdOf(created);

        Assert.Equal("pending", (string?)created["status"]!["phase"]);
        var running = await api.WaitForPhaseAsync(id, "running");
        Assert.Equal(KrautAppFactory.TestDriver, (string?)running["status"]!["host"]);
        Assert.True((bool)running["status"]!["domainDefined"]!);
        Assert.Equal(1, (long)running["status"]!["observedVersion"]!);
        Assert.Equal(DomainState.Running, DomainStateOf(id));
        Assert.True(File.Exists(api.OverlayPath(id)));
        var domain = XDocument.Parse(ApiClient.DomainXml(id)!).Root!;
        Assert.Equal(name, domain.Element("title")!.Value);
        Assert.Equal(1, (int)domain.Element("vcpu")!);
    }

    [Fact]
    public async Task Stop_SetsPowerStopped_TheVmStops_AndHistoryRecordsTheAction()
    {
        var id = await RunningVmAsync();

        using var response = await api.PostAsync($"/api/v1/vms/{id}/actions/stop", new JsonObject());
        var vm = await ApiClient.ReadAsync(response);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/v1/vms/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(2, ApiClient.ETagVersion(response));
        Assert.Equal("stopped", (string?)vm["spec"]!["power"]);
        await api.WaitForPhaseAsync(id, "stopped");
        Assert.Equal(DomainState.Shutoff, DomainStateOf(id));
        var history = await api.GetArrayAsync($"/api/v1/vms/{id}/history");
        Assert.Equal("action: stop", (string?)history[0]!["change"]);
        Assert.Equal(2, (long)history[0]!["version"]!);
    }

    [Fact]
    public async Task Start_AfterStop_RunsTheVmAgain()
    {
        var id = await RunningVmAsync();
        await ActAsync(id, "stop");
        await api.WaitForPhaseAsync(id, "stopped");

        var vm = await ActAsync(id, "start");

        Assert.Equal("running", (string?)vm["spec"]!["power"]);
        Assert.Equal(3, (long)vm["version"]!);
        await api.WaitForPhaseAsync(id, "running");
        Assert.Equal(DomainState.Running, DomainStateOf(id));
        var history = await api.GetArrayAsync($"/api/v1/vms/{id}/history");
        Assert.Equal(["action: start", "action: stop", "created"], history.Select(h => (string?)h!["change"]));
    }

    [Fact]
    public async Task Reboot_OnARunningVm_BumpsTheGeneration_AndTheReconcilerCatchesUp()
    {
        var id = await RunningVmAsync();

        var vm = await ActAsync(id, "reboot");

        Assert.Equal(1, (long)vm["spec"]!["rebootGeneration"]!);
        Assert.Equal("running", (string?)vm["spec"]!["power"]);
        var observed = await api.WaitForVmAsync(id, vm => (long)vm["status"]!["observedRebootGeneration"]! == 1, "to carry out the reboot");
        Assert.Equal("running", (string?)observed["status"]!["phase"]);
        Assert.Equal(DomainState.Running, DomainStateOf(id));
        Assert.Equal("action: reboot", (string?)(await api.GetArrayAsync($"/api/v1/vms/{id}/history"))[0]!["change"]);
    }

    [Fact]
    public async Task ForceOff_CutsPower_AndSetsTheSpecToStopped()
    {
        var id = await RunningVmAsync();

        var vm = await ActAsync(id, "force-off");

        Assert.Equal("stopped", (string?)vm["spec"]!["power"]);
        Assert.Equal(1, (long)vm["spec"]!["forceOffGeneration"]!);
        var stopped = await api.WaitForPhaseAsync(id, "stopped");
        Assert.Equal(1, (long)stopped["status"]!["observedForceOffGeneration"]!);
        Assert.Equal(DomainState.Shutoff, DomainStateOf(id));
        Assert.Equal("action: force-off", (string?)(await api.GetArrayAsync($"/api/v1/vms/{id}/history"))[0]!["change"]);
    }

    [Fact]
    public async Task Reboot_OnAStoppedVm_Returns409_AndWritesNoVersion()
    {
        var id = await RunningVmAsync();
        await ActAsync(id, "stop");

        using var response = await api.PostAsync($"/api/v1/vms/{id}/actions/reboot", new JsonObject());

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Conflict, "start it instead");
        Assert.Equal(2, (long)(await api.GetAsync($"/api/v1/vms/{id}"))["version"]!);
    }

    [Fact]
    public async Task Action_Unknown_Returns400_NamingTheValidActions()
    {
        var id = await RunningVmAsync();

        using var response = await api.PostAsync($"/api/v1/vms/{id}/actions/explode", new JsonObject());

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, "'explode' is not an action", "start, stop, reboot, force-off");
        Assert.Equal(1, (long)(await api.GetAsync($"/api/v1/vms/{id}"))["version"]!);
    }

    [Fact]
    public async Task Action_WithStaleIfMatch_Returns412_AndDoesNothing()
    {
        var id = await RunningVmAsync();
        using (await api.PatchAsync($"/api/v1/vms/{id}", new JsonObject { ["metadata"] = new JsonObject { ["x"] = 1 } })) { }

        using var response = await api.SendAsync(HttpMethod.Post, $"/api/v1/vms/{id}/actions/stop", ifMatch: "\"1\"");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.PreconditionFailed);
        Assert.Equal(2, ApiClient.ETagVersion(response));
        Assert.Equal("running", (string?)(await api.GetAsync($"/api/v1/vms/{id}"))["spec"]!["power"]);
    }

    [Fact]
    public async Task BulkStop_BySelector_ActsOnlyOnMatchingVms_AndReportsEach()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var test1 = await RunningVmAsync(new JsonObject { ["env"] = "test", ["run"] = run });
        var test2 = await RunningVmAsync(new JsonObject { ["env"] = "test", ["run"] = run });
        var prod = await RunningVmAsync(new JsonObject { ["env"] = "prod", ["run"] = run });

        var results = await BulkAsync("stop", $"env=test,run={run}");

        Assert.Equal(new[] { test1, test2 }.Order(), results.Select(r => Guid.Parse((string)r!["id"]!)).Order());
        Assert.All(results, r =>
        {
            Assert.True((bool)r!["ok"]!);
            Assert.StartsWith("vm-", (string?)r["name"], StringComparison.Ordinal);
            Assert.Null(r["error"]);
        });
        await api.WaitForPhaseAsync(test1, "stopped");
        await api.WaitForPhaseAsync(test2, "stopped");
        var untouched = await api.GetAsync($"/api/v1/vms/{prod}");
        Assert.Equal("running", (string?)untouched["spec"]!["power"]);
        Assert.Equal(1, (long)untouched["version"]!);
        Assert.Equal(DomainState.Running, DomainStateOf(prod));
    }

    [Fact]
    public async Task BulkReboot_ReportsPerVm_WhichSucceededAndWhichFailedWhy()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var running = await RunningVmAsync(new JsonObject { ["run"] = run });
        var stopped = await RunningVmAsync(new JsonObject { ["run"] = run });
        await ActAsync(stopped, "stop");

        var results = (await BulkAsync("reboot", $"run={run}")).ToDictionary(r => Guid.Parse((string)r!["id"]!), r => r!);

        Assert.True((bool)results[running]["ok"]!);
        Assert.False((bool)results[stopped]["ok"]!);
        Assert.Contains("start it instead", (string?)results[stopped]["error"], StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty((string?)results[stopped]["name"]));
    }

    [Theory]
    [InlineData("stop", "", HttpStatusCode.BadRequest, "needs a selector")]
    [InlineData("stop", "?selector=", HttpStatusCode.BadRequest, "needs a selector")]
    [InlineData("stop", "?selector=%20%20", HttpStatusCode.BadRequest, "needs a selector")]
    [InlineData("stop", "?selector=env%20in%20(a", HttpStatusCode.BadRequest, "position 10")]
    [InlineData("explode", "?selector=env%3Dtest", HttpStatusCode.BadRequest, "'explode' is not an action")]
    public async Task BulkAction_WithoutAUsableSelectorOrAction_Returns400(string action, string query, HttpStatusCode status, string detail)
    {
        using var response = await api.Http.PostAsync($"/api/v1/vms/actions/{action}{query}", null);

        await ApiClient.AssertProblemAsync(response, status, detail);
    }

    [Fact]
    public async Task AddNic_ToAStoppedVm_AssignsAMac_AndTheDomainGetsTheInterface()
    {
        var seeded = await api.SeededAsync();
        var id = await RunningVmAsync();
        await ActAsync(id, "stop");
        await api.WaitForPhaseAsync(id, "stopped");

        using var response = await api.PostAsync($"/api/v1/vms/{id}/nics", new JsonObject { ["networkId"] = seeded.DefaultNetworkId.ToString() });
        var nic = await ApiClient.ReadAsync(response);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var nicId = Guid.Parse((string)nic["id"]!);
        var mac = (string)nic["mac"]!;
        Assert.Equal($"/api/v1/vms/{id}/nics/{nicId}", response.Headers.Location?.OriginalString);
        Assert.True(MacAddresses.IsValid(mac), mac);
        Assert.Equal(seeded.DefaultNetworkId.ToString(), (string?)nic["networkId"]);
        var nics = await api.GetArrayAsync($"/api/v1/vms/{id}/nics");
        Assert.Contains(nics, n => (string?)n!["mac"] == mac);
        Assert.Equal("NIC added", (string?)(await api.GetArrayAsync($"/api/v1/vms/{id}/history"))[0]!["change"]);
        await Eventually.WaitUntilAsync(() => Macs(ApiClient.DomainXml(id)).Contains(mac), Wait, "the domain to get the NIC");
        Assert.Equal(DomainState.Shutoff, DomainStateOf(id));
    }

    [Fact]
    public async Task AddNic_ToARunningVm_ReachesTheConfig_AndIsLiveOrFlaggedForRestart()
    {
        var seeded = await api.SeededAsync();
        var id = await RunningVmAsync();

        using var response = await api.PostAsync($"/api/v1/vms/{id}/nics", new JsonObject { ["networkId"] = seeded.DefaultNetworkId.ToString() });
        var mac = (string)(await ApiClient.ReadAsync(response))["mac"]!;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await Eventually.WaitUntilAsync(() => Macs(ApiClient.DomainXml(id, inactive: true)).Contains(mac), Wait, "the domain's config to get the NIC");
        // Hot-plugged where libvirt can; where it cannot (the test driver), the VM says it needs a restart. Never silently neither.
        var settled = await api.WaitForVmAsync(id, vm =>
        {
            var status = vm["status"]!;
            var live = Macs(ApiClient.DomainXml(id)).Contains(mac);
            return (long)status["observedVersion"]! == 2 && status["lastError"] is null && (live || (bool)status["restartRequired"]!);
        }, "to hot-plug the NIC or ask for a restart");
        Assert.Equal("running", (string?)settled["status"]!["phase"]);

        // After a stop and start the running domain has it either way.
        await ActAsync(id, "stop");
        await api.WaitForPhaseAsync(id, "stopped");
        await ActAsync(id, "start");
        var restarted = await api.WaitForPhaseAsync(id, "running");
        Assert.Contains(mac, Macs(ApiClient.DomainXml(id)));
        Assert.False((bool)restarted["status"]!["restartRequired"]!);
    }

    [Fact]
    public async Task RemoveNic_TakesItOutOfSpecAndDomain()
    {
        var seeded = await api.SeededAsync();
        var id = await RunningVmAsync(networks: [seeded.DefaultNetworkId, seeded.DefaultNetworkId]);
        await ActAsync(id, "stop");
        await api.WaitForPhaseAsync(id, "stopped");
        var nics = await api.GetArrayAsync($"/api/v1/vms/{id}/nics");
        var (removeId, removeMac) = ((string)nics[0]!["id"]!, (string)nics[0]!["mac"]!);
        var keepMac = (string)nics[1]!["mac"]!;
        Assert.Equal(new[] { removeMac, keepMac }.Order(), Macs(ApiClient.DomainXml(id)).Order());

        using var response = await api.DeleteAsync($"/api/v1/vms/{id}/nics/{removeId}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var remaining = await api.GetArrayAsync($"/api/v1/vms/{id}/nics");
        Assert.Equal([keepMac], remaining.Select(n => (string)n!["mac"]!));
        Assert.Equal("NIC removed", (string?)(await api.GetArrayAsync($"/api/v1/vms/{id}/history"))[0]!["change"]);
        await Eventually.WaitUntilAsync(() => Macs(ApiClient.DomainXml(id)).SequenceEqual([keepMac]), Wait, "the domain to lose the NIC");
    }

    [Fact]
    public async Task RemoveNic_ThatIsNotThere_Returns404_AndMalformedNicId_Returns400()
    {
        var id = await RunningVmAsync();

        using var unknown = await api.DeleteAsync($"/api/v1/vms/{id}/nics/{Guid.NewGuid()}");
        using var malformed = await api.DeleteAsync($"/api/v1/vms/{id}/nics/nic-1");

        await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound, "NIC");
        await ApiClient.AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "not a valid NIC id");
        Assert.Equal(1, (long)(await api.GetAsync($"/api/v1/vms/{id}"))["version"]!);
    }

    [Theory]
    [InlineData("""{"networkId":"00000000-0000-0000-0000-000000000001"}""", HttpStatusCode.UnprocessableEntity, "spec.nics[0].networkId")]
    [InlineData("""{}""", HttpStatusCode.UnprocessableEntity, "networkId")]
    [InlineData("""{"networkId":"abc"}""", HttpStatusCode.UnprocessableEntity, "networkId")]
    [InlineData("""{"networkId":"@net","mac":"01:00:00:00:00:01"}""", HttpStatusCode.UnprocessableEntity, "spec.nics[0].mac")]
    [InlineData("""{"networkId":"@net","speed":10}""", HttpStatusCode.UnprocessableEntity, "speed")]
    public async Task AddNic_WithBadInput_IsRefused_AndTheVmIsUnchanged(string body, HttpStatusCode status, string field)
    {
        var seeded = await api.SeededAsync();
        var id = await RunningVmAsync();

        using var response = await api.Http.PostAsync($"/api/v1/vms/{id}/nics", ApiClient.Raw(body.Replace("@net", seeded.DefaultNetworkId.ToString(), StringComparison.Ordinal)));

        var problem = await ApiClient.AssertProblemAsync(response, status);
        Assert.NotNull(problem["errors"]![field]);
        var vm = await api.GetAsync($"/api/v1/vms/{id}");
        Assert.Equal(1, (long)vm["version"]!);
        Assert.Empty(vm["spec"]!["nics"]!.AsArray());
    }

    [Fact]
    public async Task Delete_RemovesTheDomainAndTheOverlayDisk()
    {
        var seeded = await api.SeededAsync();
        var id = await RunningVmAsync(networks: [seeded.DefaultNetworkId]);
        var overlay = Path.Combine(api.App.DataDirectory, "disks", $"{id}.qcow2");
        Assert.True(File.Exists(overlay), "the overlay exists while the VM does");
        Assert.NotNull(ApiClient.DomainXml(id));

        using var response = await api.DeleteAsync($"/api/v1/vms/{id}");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await api.WaitUntilGoneAsync("vms", id);
        Assert.Null(ApiClient.DomainXml(id));
        Assert.False(File.Exists(overlay), "the overlay is gone with the VM");
        Assert.DoesNotContain(id, api.InstanceDomains());
        Assert.Equal("deleted", (string?)(await api.GetArrayAsync($"/api/v1/vms/{id}/history"))[0]!["change"]);
    }

    private async Task<Guid> RunningVmAsync(JsonObject? metadata = null, Guid[]? networks = null)
    {
        var id = IdOf(await api.CreateVmAsync(ApiClient.UniqueName("vm"), metadata, networks ?? []));
        await api.WaitForPhaseAsync(id, "running");
        return id;
    }

    private async Task<JsonObject> ActAsync(Guid id, string action)
    {
        using var response = await api.PostAsync($"/api/v1/vms/{id}/actions/{action}", new JsonObject());
        var vm = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{action} gave {(int)response.StatusCode}: {vm.ToJsonString()}");
        return vm;
    }

    private async Task<JsonArray> BulkAsync(string action, string selector)
    {
        using var response = await api.Http.PostAsync($"/api/v1/vms/actions/{action}?selector={Uri.EscapeDataString(selector)}", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"bulk {action} gave {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsArray();
    }

    private static Guid IdOf(JsonObject o) => Guid.Parse((string)o["id"]!);

    private static DomainState DomainStateOf(Guid id)
    {
        using var connection = LibvirtConnection.Open(KrautAppFactory.TestDriver);
        using var domain = connection.FindDomain(id) ?? throw new InvalidOperationException($"no domain for {id}");
        return domain.GetState();
    }

    private static List<string> Macs(string? domainXml) => domainXml is null
        ? []
        : XDocument.Parse(domainXml).Descendants("interface").Select(i => (string)i.Element("mac")!.Attribute("address")!).ToList();
}
