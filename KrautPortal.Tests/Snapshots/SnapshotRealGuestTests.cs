using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Xunit.Abstractions;

namespace KrautPortal.Tests.Snapshots;

/// <summary>
/// Snapshots of one real TCG guest on qemu:///system through the API, in ordered steps on one booted VM (the suite's
/// time budget): marker A, snapshot with memory, marker B over it, revert → the guest reads A again (O_DIRECT, past its
/// page cache) and still runs; delete → gone from libvirt; then stopped, a disk-only snapshot.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class SnapshotRealGuestTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan Taking = TimeSpan.FromSeconds(180);
    private const int MarkerSector = 2048;

    private readonly KrautAppFactory _app = new(KrautAppFactory.SystemDriver, seedImage: "guest");

    [Fact]
    public async Task Marker_SnapshotWithMemory_OverwriteRevert_GivesTheFirstMarkerBack_AndDeleteRemovesItFromLibvirt()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        Tool.PackagedFile("/usr/bin/virsh", "libvirt-clients");
        using var http = _app.CreateClient();
        var api = new KrautApi(http);
        var id = await api.CreateVmAsync(Api.ApiClient.UniqueName("snap"));
        await api.WaitForPhaseAsync(id, "running", Boot);
        var domain = VmBuilder.DomainName(id);

        var a = await GuestSerial.WriteDiskMarkerAsync(TestHosts.System, id, MarkerSector, "KRAUT-SNAP-A-");
        var started = DateTime.UtcNow;
        var snapshot = await TakeAsync(http, id, "before-b");
        var ready = await WaitForAsync(http, snapshot, s => (string?)s["status"]!["phase"] == "ready" && s["status"]!["sizeBytes"] is not null, Taking,
            "the snapshot to be ready, with its size");
        output.WriteLine($"snapshot with memory taken in {(DateTime.UtcNow - started).TotalSeconds:0.0} s: {ready["status"]}");
        Assert.True((bool)ready["status"]!["memoryIncluded"]!);
        Assert.Equal("internal", (string?)ready["status"]!["mechanism"]);
        // The guest's memory went into the disk file (a 256 MiB guest saves tens of MiB of it).
        Assert.InRange((long)ready["status"]!["sizeBytes"]!, 1L << 20, 512L << 20);
        Assert.Contains(snapshot.ToString("D"), Virsh("snapshot-list", domain, "--name"));

        var b = await GuestSerial.WriteDiskMarkerAsync(TestHosts.System, id, MarkerSector, "KRAUT-SNAP-B-");
        Assert.Contains(b, await Hypervisor.LiveMigrationTests.ReadViaGuestAsync(TestHosts.System, id, MarkerSector), StringComparison.Ordinal);

        started = DateTime.UtcNow;
        using (var revert = await http.PostAsync($"/api/v1/vms/{id}/snapshots/{snapshot}/revert", null))
            Assert.True(revert.StatusCode == HttpStatusCode.Accepted, await revert.Content.ReadAsStringAsync());
        await WaitForAsync(http, snapshot, s => (long)s["status"]!["observedRevertGeneration"]! == 1, Taking, "the revert to be carried out");
        output.WriteLine($"reverted in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        await api.WaitForPhaseAsync(id, "running", TimeSpan.FromSeconds(30));
        Assert.Equal("running", Virsh("domstate", domain).Trim());
        var read = await Hypervisor.LiveMigrationTests.ReadViaGuestAsync(TestHosts.System, id, MarkerSector);
        Assert.Contains(a, read, StringComparison.Ordinal);
        Assert.DoesNotContain(b, read, StringComparison.Ordinal);

        using (var delete = await http.DeleteAsync($"/api/v1/snapshots/{snapshot}"))
            Assert.True(delete.IsSuccessStatusCode, await delete.Content.ReadAsStringAsync());
        await Eventually.WaitUntilAsync(async () => (await http.GetAsync($"/api/v1/snapshots/{snapshot}")).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(60), "the snapshot's record to go");
        Assert.DoesNotContain(snapshot.ToString("D"), Virsh("snapshot-list", domain, "--name"));

        // Stopped: a disk-only snapshot (no memory to save), taken by qemu-img inside libvirt.
        await api.ActAsync(id, "force-off");
        await api.WaitForPhaseAsync(id, "stopped", TimeSpan.FromSeconds(60));
        var stopped = await TakeAsync(http, id, "stopped");
        var stoppedReady = await WaitForAsync(http, stopped, s => (string?)s["status"]!["phase"] == "ready", Taking, "the stopped VM's snapshot");
        Assert.False((bool)stoppedReady["status"]!["memoryIncluded"]!);
        Assert.Contains(stopped.ToString("D"), Virsh("snapshot-list", domain, "--name"));

        await api.DeleteVmAsync(id);
        await Eventually.WaitUntilAsync(async () => (await http.GetAsync($"/api/v1/vms/{id}")).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(90), "the VM to go");
        // Its snapshots' records go with it: they lived in its disk.
        await Eventually.WaitUntilAsync(async () => (await http.GetAsync($"/api/v1/snapshots/{stopped}")).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(90), "the stopped VM's snapshot record to go with the VM");
    }

    private static async Task<Guid> TakeAsync(HttpClient http, Guid vmId, string name)
    {
        using var response = await http.PostAsJsonAsync($"/api/v1/vms/{vmId}/snapshots", new JsonObject { ["name"] = Api.ApiClient.UniqueName(name) });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    internal static async Task<JsonObject> WaitForAsync(HttpClient http, Guid snapshot, Func<JsonObject, bool> condition, TimeSpan timeout, string what)
    {
        JsonObject? last = null;
        try
        {
            await Eventually.WaitUntilAsync(async () =>
            {
                last = JsonNode.Parse(await http.GetStringAsync($"/api/v1/snapshots/{snapshot}"))!.AsObject();
                return condition(last);
            }, timeout, what);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Waiting for {what}; last seen: {last?.ToJsonString()}");
        }
        return last!;
    }

    private static string Virsh(params string[] args) => Tool.Run("virsh", ["-c", TestHosts.System, .. args]);

    public void Dispose() => _app.Dispose();
}
