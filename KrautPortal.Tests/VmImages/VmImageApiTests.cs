using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features;
using KrautPortal.Features.Images;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Authorization;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.VmImages;

/// <summary>
/// <c>POST /api/v1/vms/{id}/image</c> on libvirt's test driver (its VMs have real overlay disks in the data directory):
/// who may make an image of which VM, what is refused and in which words, and that a stopped VM's disk becomes an image
/// of the caller's, with its image's attributes, through the image pipeline. On the authorization tests' portal (alice,
/// bob, tokens), whose matrix leaves this endpoint's rows to this class.
/// </summary>
[Collection(AuthorizationCollection.Name)]
public sealed class VmImageApiTests(AuthorizationPortal portal)
{
    private static readonly TimeSpan Ready = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AStoppedVm_BecomesAnImageOfTheCaller_WithItsImagesAttributes_ThroughThePipeline()
    {
        var vm = await VmAsync(Caller.Alice, running: false);
        var name = ApiClient.UniqueName("from-vm");

        using var response = await MakeAsync(Caller.Alice, vm, new JsonObject
        {
            ["name"] = name, ["description"] = "golden", ["metadata"] = new JsonObject { ["env"] = "dev" },
        });

        var made = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {made.ToJsonString()}");
        var id = (Guid)made["id"]!;
        Assert.Equal($"/api/v1/images/{id}", response.Headers.Location?.ToString());
        Assert.Equal("alice", (string)made["owner"]!);
        Assert.Equal("dev", (string)made["metadata"]!["env"]!);
        Assert.Equal("golden", (string)made["spec"]!["description"]!);
        Assert.Equal(vm.ToString(), (string)made["status"]!["fromVm"]!["vmId"]!);

        var image = await SettledAsync(id);
        Assert.True((string?)image["status"]!["phase"] == "ready", image.ToJsonString());
        Assert.Equal("qcow2", (string)image["status"]!["format"]!);
        Assert.Equal(64L << 20, (long)image["status"]!["virtualSizeBytes"]!);
        Assert.True(File.Exists(portal.App.Service<ImageStorage>().PathFor(id, ImageFormat.Qcow2)));
        // Attributes are the VM's image's; only the description is the caller's.
        var source = await portal.Api.GetAsync($"/api/v1/images/{(await portal.Api.SeededAsync()).ImageId}");
        foreach (var field in new[] { "architecture", "osName", "minMemoryMiB", "minDiskGiB", "firmware" })
            Assert.Equal(source["spec"]![field]?.ToJsonString(), image["spec"]![field]?.ToJsonString());
        // Alice's, like any image she uploads: bob does not see it.
        using var byBob = await portal.Client(Caller.Bob).GetAsync($"/api/v1/images/{id}");
        await ApiClient.AssertProblemAsync(byBob, HttpStatusCode.NotFound);
        (await portal.Client(Caller.Alice).DeleteAsync($"/api/v1/images/{id}")).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task ASnapshotOfARunningVm_BecomesAnImage_HoldingWhatTheSnapshotHolds()
    {
        // A snapshot as the snapshots feature makes one: an internal snapshot of the disk, named by its record's id.
        var vm = await VmAsync(Caller.Alice, running: true);
        var disk = portal.App.Service<KrautPaths>().DiskFor(vm);
        var snapshot = Guid.NewGuid();
        Tool.Run("qemu-io", "-f", "qcow2", "-c", "write -P 0x41 1M 512", disk);
        Tool.Run("qemu-img", "snapshot", "-c", snapshot.ToString("D"), "--image-opts", $"driver=qcow2,file.filename={disk}");
        Tool.Run("qemu-io", "-f", "qcow2", "-c", "write -P 0x42 1M 512", disk); // after the snapshot: not in the image

        using var response = await MakeAsync(Caller.Alice, vm, new JsonObject { ["name"] = ApiClient.UniqueName("from-snapshot"), ["snapshotId"] = snapshot.ToString() });

        var made = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {made.ToJsonString()}");
        var id = (Guid)made["id"]!;
        Assert.Equal(snapshot.ToString(), (string)made["status"]!["fromVm"]!["snapshotId"]!);
        var image = await SettledAsync(id);
        Assert.True((string?)image["status"]!["phase"] == "ready", image.ToJsonString());
        Assert.Equal(0x41, SectorOf(portal.App.Service<ImageStorage>().PathFor(id, ImageFormat.Qcow2), 2048)[0]);
        (await portal.Client(Caller.Alice).DeleteAsync($"/api/v1/images/{id}")).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task AnotherTenantsVm_AndAnUnknownOne_AreNotFound_AndNothingIsMade()
    {
        var alices = await VmAsync(Caller.Alice, running: false);
        var name = ApiClient.UniqueName("stolen");

        using (var byBob = await MakeAsync(Caller.Bob, alices, new JsonObject { ["name"] = name }))
            await ApiClient.AssertProblemAsync(byBob, HttpStatusCode.NotFound, "There is no VM");
        using (var unknown = await MakeAsync(Caller.Alice, Guid.NewGuid(), new JsonObject { ["name"] = name }))
            await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound, "There is no VM");

        Assert.DoesNotContain(await portal.Api.ListAllAsync("images"), i => (string?)i["name"] == name);
    }

    [Fact]
    public async Task ARunningVm_IsAConflict_SayingToStopItOrUseASnapshot()
    {
        var vm = await VmAsync(Caller.Alice, running: true);

        using var response = await MakeAsync(Caller.Alice, vm, new JsonObject { ["name"] = ApiClient.UniqueName("hot") });

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Conflict, "The VM is running", "stop the VM first", "one of its snapshots");
    }

    [Fact]
    public async Task BadInput_IsUnprocessable_NamingEachField()
    {
        var vm = await VmAsync(Caller.Alice, running: false);

        using (var badName = await MakeAsync(Caller.Alice, vm, new JsonObject { ["name"] = new string('x', 64), ["colour"] = "red", ["snapshotId"] = "latest" }))
        {
            var problem = await ApiClient.AssertProblemAsync(badName, HttpStatusCode.UnprocessableEntity);
            var errors = problem["errors"]!.AsObject();
            Assert.True(errors.ContainsKey("name") && errors.ContainsKey("colour") && errors.ContainsKey("snapshotId"), problem.ToJsonString());
            Assert.Contains("at most 63 characters", (string)problem["detail"]!, StringComparison.Ordinal);
        }
        using (var noName = await MakeAsync(Caller.Alice, vm, new JsonObject { ["description"] = "nameless" }))
            await ApiClient.AssertProblemAsync(noName, HttpStatusCode.UnprocessableEntity, "name: A name for the new image is required.");
        // A well-formed id the VM's disk has no internal snapshot of.
        var snapshot = Guid.NewGuid();
        using var unknownSnapshot = await MakeAsync(Caller.Alice, vm, new JsonObject { ["name"] = ApiClient.UniqueName("snap"), ["snapshotId"] = snapshot.ToString() });
        await ApiClient.AssertProblemAsync(unknownSnapshot, HttpStatusCode.UnprocessableEntity, "snapshotId:", $"has no snapshot {snapshot}");
    }

    [Fact]
    public async Task AReadOnlyToken_IsForbidden_AndATokenThatCannotSeeTheVm_FindsNone()
    {
        var vm = await VmAsync(Caller.Alice, running: false);
        var readOnly = await portal.CreateTokenAsync(Caller.Alice, "vm-image-read", ["read"], ["vms", "images"]);
        var prodOnly = await portal.CreateTokenAsync(Caller.Alice, "vm-image-prod", ["read", "create"], ["vms", "images"], AuthorizationPortal.ProdSelector);
        var body = new JsonObject { ["name"] = ApiClient.UniqueName("by-token") };

        using (var client = portal.TokenClient(readOnly))
        using (var refused = await client.PostAsync($"/api/v1/vms/{vm}/image", ApiClient.Json(body)))
            await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Forbidden, "may not create");
        using (var client = portal.TokenClient(prodOnly))
        using (var hidden = await client.PostAsync($"/api/v1/vms/{vm}/image", ApiClient.Json(body)))
            await ApiClient.AssertProblemAsync(hidden, HttpStatusCode.NotFound, "There is no VM");
    }

    private Task<JsonObject> SettledAsync(Guid image) => Eventually.WaitForAsync(async () =>
        await portal.Api.GetAsync($"/api/v1/images/{image}") is var i && (string?)i["status"]!["phase"] is "ready" or "failed" ? i : null, Ready, "the image to be ready");

    private static byte[] SectorOf(string qcow2, int sector) => Support.QcowSector.Bytes(qcow2, sector);

    private Task<HttpResponseMessage> MakeAsync(Caller caller, Guid vm, JsonObject body) =>
        portal.Client(caller).PostAsync($"/api/v1/vms/{vm}/image", ApiClient.Json(body));

    /// <summary>A VM of <paramref name="caller"/> (running, or stopped), once the test driver shows it so.</summary>
    private async Task<Guid> VmAsync(Caller caller, bool running)
    {
        var body = await portal.Api.SampleAsync("vms", ApiClient.UniqueName("imaged"), new JsonObject { ["env"] = "dev" });
        body["spec"]!["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await portal.Api.SeededAsync()).DefaultNetworkId });
        body["spec"]!["power"] = running ? "running" : "stopped";
        using var response = await portal.Client(caller).PostAsync("/api/v1/vms", ApiClient.Json(body));
        var json = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, json.ToJsonString());
        var id = (Guid)json["id"]!;
        await portal.Api.WaitForPhaseAsync(id, running ? "running" : "stopped");
        return id;
    }
}
