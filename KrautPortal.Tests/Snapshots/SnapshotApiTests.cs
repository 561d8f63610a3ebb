using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Authorization;
using KrautPortal.Tests.Images;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Snapshots;

/// <summary>
/// The snapshots API on libvirt's test driver (it keeps snapshot metadata): take, list, revert, delete through a VM's
/// routes; nobody else's VM (404 as its GET), read-only tokens (403 on writes), bad input (422 naming the field),
/// and what the host cannot do (409 naming the reason).
/// </summary>
public sealed class SnapshotApiTests(AuthorizationPortal portal) : IClassFixture<AuthorizationPortal>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    private HttpClient Alice => portal.Client(Caller.Alice);

    private async Task<Guid> RunningVmOfAliceAsync()
    {
        var id = (Guid)(await portal.ArrangeAsync(Owner.Alice, Kinds.Vms.Name, ApiClient.UniqueName("snapvm")))["id"]!;
        await portal.Api.WaitForPhaseAsync(id, "running");
        return id;
    }

    private static async Task<JsonObject> TakeAsync(HttpClient client, Guid vmId, JsonObject body, HttpStatusCode expected)
    {
        using var response = await client.PostAsJsonAsync($"/api/v1/vms/{vmId}/snapshots", body);
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {json.ToJsonString()}");
        return json;
    }

    private Task<JsonObject> ReadyAsync(Guid id) =>
        SnapshotWaits.WaitForAsync(portal.Api.Http, id, s => (string?)s["status"]!["phase"] == "ready", Settle, "the snapshot to be ready");

    [Fact]
    public async Task AVmsSnapshots_AreTaken_Listed_Reverted_AndDeleted_WithTheVmsOwner()
    {
        var vm = await RunningVmOfAliceAsync();
        var first = await TakeAsync(Alice, vm, new JsonObject { ["name"] = ApiClient.UniqueName("first"), ["description"] = "before the upgrade" }, HttpStatusCode.Created);
        var firstId = (Guid)first["id"]!;
        Assert.Equal("alice", (string?)first["owner"]);
        Assert.True((bool)first["spec"]!["includeMemory"]!);
        var ready = await ReadyAsync(firstId);
        Assert.True((bool)ready["status"]!["memoryIncluded"]!);

        var listed = await ApiClient.ReadAsync(await Alice.GetAsync($"/api/v1/vms/{vm}/snapshots"));
        Assert.True((bool)listed["offered"]!);
        Assert.Contains(listed["items"]!.AsArray(), s => (Guid)s!["id"]! == firstId);

        using (var revert = await Alice.PostAsync($"/api/v1/vms/{vm}/snapshots/{firstId}/revert", null))
            Assert.Equal(HttpStatusCode.Accepted, revert.StatusCode);
        await SnapshotWaits.WaitForAsync(portal.Api.Http, firstId, s => (long)s["status"]!["observedRevertGeneration"]! == 1, Settle, "the revert");

        // Stopped: the next one is disk-only, a child of the first in libvirt's tree.
        using (var stop = await Alice.PostAsync($"/api/v1/vms/{vm}/actions/force-off", null)) Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        await portal.Api.WaitForPhaseAsync(vm, "stopped");
        var second = await TakeAsync(Alice, vm, new JsonObject { ["name"] = ApiClient.UniqueName("second") }, HttpStatusCode.Created);
        var secondReady = await ReadyAsync((Guid)second["id"]!);
        Assert.False((bool)secondReady["status"]!["memoryIncluded"]!);
        Assert.Equal(firstId, (Guid?)secondReady["status"]!["parentId"]);

        // Reverting to the running snapshot makes the VM run, and its spec says so.
        using (var revert = await Alice.PostAsync($"/api/v1/vms/{vm}/snapshots/{firstId}/revert", null))
            Assert.Equal(HttpStatusCode.Accepted, revert.StatusCode);
        await SnapshotWaits.WaitForAsync(portal.Api.Http, firstId, s => (long)s["status"]!["observedRevertGeneration"]! == 2, Settle, "the second revert");
        var after = await portal.Api.WaitForPhaseAsync(vm, "running");
        Assert.Equal("running", (string?)after["spec"]!["power"]);

        using (var delete = await Alice.DeleteAsync($"/api/v1/snapshots/{firstId}")) Assert.True(delete.IsSuccessStatusCode);
        await portal.Api.WaitUntilGoneAsync(Kinds.Snapshots.Name, firstId);
    }

    [Fact]
    public async Task AnotherTenant_GetsNotFound_AReadOnlyToken_Forbidden_AndBadInput_NamesTheField()
    {
        var vm = await RunningVmOfAliceAsync();
        var snapshot = (Guid)(await TakeAsync(Alice, vm, new JsonObject { ["name"] = ApiClient.UniqueName("mine") }, HttpStatusCode.Created))["id"]!;
        await ReadyAsync(snapshot);
        var bob = portal.Client(Caller.Bob);

        await ApiClient.AssertProblemAsync(await bob.GetAsync($"/api/v1/vms/{vm}/snapshots"), HttpStatusCode.NotFound);
        await ApiClient.AssertProblemAsync(await bob.PostAsJsonAsync($"/api/v1/vms/{vm}/snapshots", new JsonObject { ["name"] = "x" }), HttpStatusCode.NotFound);
        await ApiClient.AssertProblemAsync(await bob.PostAsync($"/api/v1/vms/{vm}/snapshots/{snapshot}/revert", null), HttpStatusCode.NotFound);
        await ApiClient.AssertProblemAsync(await bob.GetAsync($"/api/v1/snapshots/{snapshot}"), HttpStatusCode.NotFound);
        await ApiClient.AssertProblemAsync(await bob.DeleteAsync($"/api/v1/snapshots/{snapshot}"), HttpStatusCode.NotFound);
        // Through the generic route, another tenant's VM is as unknown as a missing one.
        var generic = await ApiClient.AssertProblemAsync(await bob.PostAsJsonAsync("/api/v1/snapshots",
            new JsonObject { ["name"] = "x", ["spec"] = new JsonObject { ["vmId"] = vm } }), HttpStatusCode.UnprocessableEntity);
        Assert.Contains($"There is no VM with id {vm}.", generic["errors"]!["spec.vmId"]!.AsArray().Select(e => (string?)e));
        await ApiClient.AssertProblemAsync(await Alice.GetAsync($"/api/v1/vms/{Guid.NewGuid()}/snapshots"), HttpStatusCode.NotFound);

        var token = await portal.CreateTokenAsync(Caller.Alice, "snap-read", ["read"], [Kinds.Vms.Name, Kinds.Snapshots.Name]);
        using var reader = portal.TokenClient(token);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"/api/v1/vms/{vm}/snapshots")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"/api/v1/snapshots/{snapshot}")).StatusCode);
        await ApiClient.AssertProblemAsync(await reader.PostAsJsonAsync($"/api/v1/vms/{vm}/snapshots", new JsonObject { ["name"] = "x" }), HttpStatusCode.Forbidden);
        await ApiClient.AssertProblemAsync(await reader.PostAsync($"/api/v1/vms/{vm}/snapshots/{snapshot}/revert", null), HttpStatusCode.Forbidden);
        await ApiClient.AssertProblemAsync(await reader.DeleteAsync($"/api/v1/snapshots/{snapshot}"), HttpStatusCode.Forbidden);

        var badName = await ApiClient.AssertProblemAsync(await Alice.PostAsJsonAsync($"/api/v1/vms/{vm}/snapshots", new JsonObject { ["name"] = " padded " }),
            HttpStatusCode.UnprocessableEntity);
        Assert.NotNull(badName["errors"]!["name"]);
        var unknown = await ApiClient.AssertProblemAsync(await Alice.PostAsJsonAsync($"/api/v1/vms/{vm}/snapshots",
            new JsonObject { ["name"] = "x", ["memory"] = true }), HttpStatusCode.UnprocessableEntity);
        Assert.NotNull(unknown["errors"]!["memory"]);
        // A running VM's internal snapshot always holds its memory.
        await ApiClient.AssertProblemAsync(await Alice.PostAsJsonAsync($"/api/v1/vms/{vm}/snapshots",
            new JsonObject { ["name"] = ApiClient.UniqueName("diskonly"), ["includeMemory"] = false }), HttpStatusCode.Conflict, "Include memory, or stop the VM");
    }

    [Fact]
    public async Task AUefiVm_IsRefusedWith409_NamingTheReason_AndTheListSaysWhy()
    {
        using var dir = new TempDir();
        var blank = dir["blank.qcow2"];
        Tool.Run("qemu-img", "create", "-q", "-f", "qcow2", blank, "64M");
        var image = await ImageArrival.ArriveAsync(portal.App, ApiClient.UniqueName("uefi"), blank, new JsonObject { ["firmware"] = "uefi", ["architecture"] = "x86_64" });
        await ImageArrival.ReadyAsync(portal.App, image);
        var body = await portal.Api.SampleAsync(Kinds.Vms.Name, ApiClient.UniqueName("uefivm"));
        body["spec"]!["imageId"] = image;
        body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await portal.Api.SeededAsync()).DefaultNetworkId });
        var vm = (Guid)(await portal.Api.CreateAsync(Kinds.Vms.Name, body))["id"]!;
        await portal.Api.WaitForPhaseAsync(vm, "running");

        await ApiClient.AssertProblemAsync(await portal.Api.PostAsync($"/api/v1/vms/{vm}/snapshots", new JsonObject { ["name"] = ApiClient.UniqueName("efi") }),
            HttpStatusCode.Conflict, "UEFI", "internal snapshot");
        var listed = await portal.Api.GetAsync($"/api/v1/vms/{vm}/snapshots");
        Assert.False((bool)listed["offered"]!);
        Assert.Contains("UEFI", (string?)listed["reason"], StringComparison.Ordinal);
    }

    /// <summary>
    /// A token limited by a selector reaches a VM's snapshots, backups and image-making only for VMs its selector matches,
    /// as a plain GET of the VM; what it makes there must fall inside the selector too.
    /// </summary>
    [Fact]
    public async Task ASelectorLimitedToken_ReachesTheDiskRoutes_OnlyOfVmsItsSelectorMatches()
    {
        var project = ApiClient.UniqueName("proj");
        var inside = (Guid)(await portal.ArrangeAsync(Owner.Alice, Kinds.Vms.Name, ApiClient.UniqueName("in"), new JsonObject { ["project"] = project }))["id"]!;
        var outside = (Guid)(await portal.ArrangeAsync(Owner.Alice, Kinds.Vms.Name, ApiClient.UniqueName("out"), new JsonObject { ["project"] = "other" }))["id"]!;
        // Both must have a domain: the outside VM gets a snapshot of its own below.
        await portal.Api.WaitForPhaseAsync(inside, "running");
        await portal.Api.WaitForPhaseAsync(outside, "running");
        var token = await portal.CreateTokenAsync(Caller.Alice, "disks", ["read", "create", "update", "delete"],
            [Kinds.Vms.Name, Kinds.Snapshots.Name, Kinds.Backups.Name, Kinds.Images.Name], $"project={project}");
        using var client = portal.TokenClient(token);

        await ApiClient.AssertProblemAsync(await client.GetAsync($"/api/v1/vms/{outside}/snapshots"), HttpStatusCode.NotFound);
        await ApiClient.AssertProblemAsync(await client.PostAsJsonAsync($"/api/v1/vms/{outside}/snapshots", new JsonObject
        {
            ["name"] = "x", ["metadata"] = new JsonObject { ["project"] = project },
        }), HttpStatusCode.NotFound);
        await ApiClient.AssertProblemAsync(await client.GetAsync($"/api/v1/vms/{outside}/backups"), HttpStatusCode.NotFound);
        await ApiClient.AssertProblemAsync(await client.PostAsJsonAsync($"/api/v1/vms/{outside}/backups", new JsonObject
        {
            ["name"] = "x", ["metadata"] = new JsonObject { ["project"] = project },
        }), HttpStatusCode.NotFound);
        await ApiClient.AssertProblemAsync(await client.PostAsJsonAsync($"/api/v1/vms/{outside}/image", new JsonObject
        {
            ["name"] = ApiClient.UniqueName("img"), ["metadata"] = new JsonObject { ["project"] = project },
        }), HttpStatusCode.NotFound);
        var snapshotOfOutside = (Guid)(await TakeAsync(Alice, outside, new JsonObject { ["name"] = ApiClient.UniqueName("theirs") }, HttpStatusCode.Created))["id"]!;
        await ApiClient.AssertProblemAsync(await client.PostAsync($"/api/v1/vms/{outside}/snapshots/{snapshotOfOutside}/revert", null), HttpStatusCode.NotFound);
        await ApiClient.AssertProblemAsync(await client.DeleteAsync($"/api/v1/snapshots/{snapshotOfOutside}"), HttpStatusCode.NotFound);

        // Inside: listed; a snapshot made inside the selector is taken, one made outside it is refused naming the limit.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/vms/{inside}/snapshots")).StatusCode);
        await TakeAsync(client, inside, new JsonObject { ["name"] = ApiClient.UniqueName("ok"), ["metadata"] = new JsonObject { ["project"] = project } },
            HttpStatusCode.Created);
        await ApiClient.AssertProblemAsync(await client.PostAsJsonAsync($"/api/v1/vms/{inside}/snapshots", new JsonObject { ["name"] = ApiClient.UniqueName("bare") }),
            HttpStatusCode.UnprocessableEntity, $"project={project}");
    }
}
