using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features;
using Bunit;
using KrautPortal.Features.Images;
using KrautPortal.Features.Store;
using Microsoft.Extensions.DependencyInjection;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Xunit.Abstractions;

namespace KrautPortal.Tests.Integration;

/// <summary>
/// What issue 15 does to a real guest's disk on qemu:///system (images made from VMs, snapshots, backups), in ordered
/// steps on ONE booted guest (<see cref="SharedRealGuest"/>; a TCG boot costs 15–30 s). The order is chosen so that no
/// step's leftovers decide another's result:
/// 1. an image from the stopped guest boots a new VM that reads the old one's marker; that VM is the guest from then on
///    (the old one is deleted, as the image must not need it);
/// 2. snapshots of the running guest (markers rewritten before they are read);
/// 3. backups through the guest agent: an ext2 filesystem made over the start of the guest's disk, frozen during a
///    backup; the agent then stopped (the guest never starts it again), and the step's backups deleted;
/// 4. backups of the running guest (its own markers; it has no backups before), ending stopped, its disk restored over
///    (from the VM page's Backups tab, which stops it first);
/// 5. a disk-only snapshot of the stopped guest; then the VM goes with its snapshots, and the image of step 1 with it.
/// Each step asks the fixture for the VM in the state it needs, so a step run alone gets a fresh guest. The image step
/// must stay first for a second reason: sector 2048 (the snapshot and backup markers) is where the guest's FAT boot
/// partition starts, so no VM boots from that disk after those markers (the guest itself runs from its initramfs).
/// </summary>
[Collection(RealQemuCollection.Name)]
[TestCaseOrderer(StepOrderer.TypeName, StepOrderer.AssemblyName)]
public sealed class DiskRealGuestTests(SharedRealGuest guest, ITestOutputHelper output) : IClassFixture<SharedRealGuest>
{
    private static readonly TimeSpan Taking = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan BackupTime = TimeSpan.FromSeconds(180);
    private const int ImageMarkerSector = 1024;
    private const int MarkerSector = 2048;

    private HttpClient Http => guest.Http;
    private KrautApi VmApi => guest.Api;

    /// <summary>
    /// An image made from a real guest: a marker written by the guest into its disk (its overlay over the test guest
    /// image), the VM stopped, the image made through the API and the pipeline, then a new VM from that image boots and
    /// reads the marker back from its own disk: the overlay chain was flattened, nothing of the old VM is needed.
    /// </summary>
    [Fact, Step(1)]
    public async Task VmImage_FromAStoppedGuest_BootsANewVm_ThatReadsTheMarkerTheOldOneWrote()
    {
        var source = await guest.RunningVmAsync();
        var marker = await GuestSerial.WriteDiskMarkerAsync(TestHosts.System, source, ImageMarkerSector, "KRAUT-IMAGE-");
        await VmApi.ActAsync(source, "stop");
        await VmApi.WaitForPhaseAsync(source, "stopped", TimeSpan.FromSeconds(90));

        var watch = Stopwatch.StartNew();
        using var response = await Http.PostAsync($"/api/v1/vms/{source}/image", ApiClient.Json(new JsonObject { ["name"] = ApiClient.UniqueName("golden") }));
        var made = await ApiClient.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, made.ToJsonString());
        var imageId = (Guid)made["id"]!;
        var phases = new List<string>();
        var image = await Eventually.WaitForAsync(async () =>
        {
            var current = await ApiClient.ReadAsync(await Http.GetAsync($"/api/v1/images/{imageId}"));
            var phase = (string)current["status"]!["phase"]!;
            if (phases.Count == 0 || phases[^1] != phase) phases.Add(phase);
            return phase is "ready" or "failed" ? current : null;
        }, TimeSpan.FromSeconds(120), "the image to be ready");
        output.WriteLine($"image made in {watch.Elapsed.TotalSeconds:0.0} s through {string.Join(" → ", phases)}: {image["status"]!.ToJsonString()}");
        Assert.Equal("ready", (string)image["status"]!["phase"]!);
        Assert.Empty(image["status"]!["warnings"]!.AsArray());
        var stored = guest.App.Service<ImageStorage>().PathFor(imageId, ImageFormat.Qcow2);
        Assert.False((await QemuImg.InfoAsync(stored, "qcow2", CancellationToken.None)).HasBacking, "the image stands alone");

        // The old VM goes first: the new one owes it nothing.
        await VmApi.DeleteVmAsync(source);
        await Eventually.WaitUntilAsync(async () => await VmApi.GetVmAsync(source) is null, TimeSpan.FromSeconds(60), "the source VM to be gone");
        guest.Forget();
        var body = new JsonObject
        {
            ["name"] = ApiClient.UniqueName("from-image"),
            ["spec"] = new JsonObject
            {
                ["imageId"] = imageId.ToString(),
                ["machineTypeId"] = (await VmApi.IdOfAsync("machine-types", "small")).ToString(),
                ["memoryMiB"] = 256,
                ["nics"] = new JsonArray(new JsonObject { ["networkId"] = (await VmApi.IdOfAsync("networks", "default")).ToString() }),
            },
        };
        var copy = await VmApi.CreateAsync("vms", body);
        guest.Adopt(copy, imageId);
        await VmApi.WaitForPhaseAsync(copy, "running", SharedRealGuest.Boot);
        Assert.Contains(marker, await Hypervisor.LiveMigrationTests.ReadViaGuestAsync(TestHosts.System, copy, ImageMarkerSector), StringComparison.Ordinal);
        // The image goes in step 4, after the VM made from it (an image in use cannot be deleted).
    }

    /// <summary>
    /// Snapshots of the running guest through the API: marker A, snapshot with memory, marker B over it, revert → the
    /// guest reads A again (O_DIRECT, past its page cache) and still runs; delete → gone from libvirt.
    /// </summary>
    [Fact, Step(2)]
    public async Task Snapshots_Marker_SnapshotWithMemory_OverwriteRevert_GivesTheFirstMarkerBack_AndDeleteRemovesItFromLibvirt()
    {
        var id = await guest.RunningVmAsync();
        var domain = VmBuilder.DomainName(id);

        var a = await GuestSerial.WriteDiskMarkerAsync(TestHosts.System, id, MarkerSector, "KRAUT-SNAP-A-");
        var started = DateTime.UtcNow;
        var snapshot = await TakeSnapshotAsync(id, "before-b");
        var ready = await WaitForSnapshotAsync(snapshot, s => (string?)s["status"]!["phase"] == "ready" && s["status"]!["sizeBytes"] is not null,
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
        using (var revert = await Http.PostAsync($"/api/v1/vms/{id}/snapshots/{snapshot}/revert", null))
            Assert.True(revert.StatusCode == HttpStatusCode.Accepted, await revert.Content.ReadAsStringAsync());
        await WaitForSnapshotAsync(snapshot, s => (long)s["status"]!["observedRevertGeneration"]! == 1, "the revert to be carried out");
        output.WriteLine($"reverted in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        await VmApi.WaitForPhaseAsync(id, "running", TimeSpan.FromSeconds(30));
        Assert.Equal("running", Virsh("domstate", domain).Trim());
        var read = await Hypervisor.LiveMigrationTests.ReadViaGuestAsync(TestHosts.System, id, MarkerSector);
        Assert.Contains(a, read, StringComparison.Ordinal);
        Assert.DoesNotContain(b, read, StringComparison.Ordinal);

        using (var delete = await Http.DeleteAsync($"/api/v1/snapshots/{snapshot}"))
            Assert.True(delete.IsSuccessStatusCode, await delete.Content.ReadAsStringAsync());
        await Eventually.WaitUntilAsync(async () => (await Http.GetAsync($"/api/v1/snapshots/{snapshot}")).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(60), "the snapshot's record to go");
        Assert.DoesNotContain(snapshot.ToString("D"), Virsh("snapshot-list", domain, "--name"));
    }

    /// <summary>
    /// A backup of a running guest whose agent answers is filesystem-consistent: the guest writes a file into an ext2
    /// filesystem and does NOT sync it (the kernel would write it back only after 30 s), a backup is taken at once, and
    /// the file is in the backup, because the agent froze the filesystem (which writes it out) while the job began; the
    /// guest's freeze hook printed freeze and then thaw, and the guest writes again afterwards (it was thawed). With the
    /// agent stopped, the next backup still works and says it is only crash-consistent, and why.
    /// </summary>
    [Fact, Step(3)]
    public async Task Backups_ThroughTheGuestAgent_FreezeItsFilesystem_SoAnUnsyncedFileIsInTheBackup_AndWithoutTheAgentTheyAreCrashConsistent()
    {
        Tool.PackagedFile("/usr/sbin/debugfs", "e2fsprogs");
        var id = await guest.RunningVmAsync();
        using var console = GuestSerial.Open(TestHosts.System, id);
        await console.WaitForShellAsync(TimeSpan.FromSeconds(60));
        await GuestRunAsync(console, "pidof qemu-ga");
        // Over the start of the disk (its boot partition): this guest runs from its initramfs and never boots from it again.
        await GuestRunAsync(console, "mke2fs -q /dev/vda 65536 && mkdir -p /mnt/kraut && mount -t ext4 /dev/vda /mnt/kraut");
        var marker = "KRAUT-FS-" + Guid.NewGuid().ToString("N")[..16];
        await GuestRunAsync(console, $"echo {marker} > /mnt/kraut/marker");

        var since = console.Length;
        var frozen = await BackUpAsync(id, new JsonObject { ["kind"] = "full" });
        output.WriteLine($"backup through the agent: {frozen}");
        Assert.StartsWith("filesystem-consistent (the guest agent froze 1 filesystem(s)", Str(frozen, "consistency"), StringComparison.Ordinal);
        var hooks = await console.WaitForAsync("KRAUT-GUEST-FSFREEZE thaw", TimeSpan.FromSeconds(10), since);
        Assert.True(hooks.IndexOf("KRAUT-GUEST-FSFREEZE freeze", StringComparison.Ordinal) is >= 0 and var f
                    && f < hooks.IndexOf("KRAUT-GUEST-FSFREEZE thaw", StringComparison.Ordinal), hooks);
        Assert.Contains(marker, ReadExt2File(Str(frozen, "file")!, "/marker"), StringComparison.Ordinal);
        await GuestRunAsync(console, "echo thawed > /mnt/kraut/after && sync");

        await GuestRunAsync(console, "killall qemu-ga");
        var crashConsistent = await BackUpAsync(id, null);
        output.WriteLine($"backup without the agent: {crashConsistent}");
        Assert.StartsWith("crash-consistent (no guest agent answered", Str(crashConsistent, "consistency"), StringComparison.Ordinal);
        await GuestRunAsync(console, "umount /mnt/kraut");

        // The next step counts the VM's backups from none.
        foreach (var backup in new[] { crashConsistent, frozen })
        {
            var backupId = backup.GetProperty("id").GetString();
            using (var delete = await Http.DeleteAsync($"/api/v1/backups/{backupId}"))
                Assert.True(delete.IsSuccessStatusCode, $"{(int)delete.StatusCode} {await delete.Content.ReadAsStringAsync()}");
            await Eventually.WaitUntilAsync(async () => (await Http.GetAsync($"/api/v1/backups/{backupId}")).StatusCode == HttpStatusCode.NotFound,
                TimeSpan.FromSeconds(60), $"backup {backupId} to go");
        }
    }

    /// <summary>Runs a command in the guest's serial shell and fails unless it exits 0; returns what it printed.</summary>
    private static async Task<string> GuestRunAsync(GuestSerial console, string command)
    {
        var token = Guid.NewGuid().ToString("N")[..8];
        var since = console.Length;
        // Arithmetic in the answer, so the echoed keystrokes never match it; the exit status comes before it on the line.
        await console.SendLineAsync($"{command}; echo \"rc=$? done-{token}-$((40+2))\"");
        var answer = await console.WaitForAsync($"done-{token}-42", TimeSpan.FromSeconds(60), since);
        Assert.True(answer.Contains($"rc=0 done-{token}-42", StringComparison.Ordinal), $"'{command}' failed in the guest: {answer}");
        return answer;
    }

    /// <summary>A file's content from the ext2 filesystem at the start of a qcow2 disk (its first 64 MiB, read by debugfs).</summary>
    private string ReadExt2File(string qcow2, string path)
    {
        var raw = Path.Combine(guest.App.DataDirectory, $"ext2-{Guid.NewGuid():N}.raw");
        try
        {
            Tool.Run("qemu-img", "dd", "-f", "qcow2", "-O", "raw", "bs=1M", "count=64", $"if={qcow2}", $"of={raw}");
            return Tool.Run("debugfs", "-R", $"cat {path}", raw);
        }
        finally
        {
            File.Delete(raw);
        }
    }

    /// <summary>
    /// Backups of the running guest: marker A, a full backup while it runs, marker C over A, an incremental backup (only
    /// the changed blocks), then each restored into a new (stopped) VM whose disk holds A and C respectively, the
    /// incremental downloaded as one flattened qcow2 holding C; the full one restored over the running VM itself from its
    /// page's Backups tab, which stops it first (A again), then the incremental over the stopped VM through the API (C).
    /// The restored VMs are only built (their disks are what is checked).
    /// </summary>
    [Fact, Step(4)]
    public async Task Backups_RunningGuest_FullThenIncrementalBackup_RestoresEachMarker_IncrementalIsSmall()
    {
        var id = await guest.RunningVmAsync();

        var markerA = await GuestSerial.WriteDiskMarkerAsync(KrautAppFactory.SystemDriver, id, MarkerSector, "KRAUT-A-");
        var watch = Stopwatch.StartNew();
        var full = await BackUpAsync(id, new JsonObject { ["kind"] = "full" });
        output.WriteLine($"full backup in {watch.Elapsed.TotalSeconds:0.0} s: {full}");
        Assert.Equal("full", Str(full, "kind"));
        Assert.StartsWith("crash-consistent", Str(full, "consistency"), StringComparison.Ordinal);

        var markerC = await GuestSerial.WriteDiskMarkerAsync(KrautAppFactory.SystemDriver, id, MarkerSector, "KRAUT-C-");
        watch.Restart();
        var incremental = await BackUpAsync(id, null);
        output.WriteLine($"incremental backup in {watch.Elapsed.TotalSeconds:0.0} s: {incremental}");
        Assert.Equal("incremental", Str(incremental, "kind"));
        Assert.Equal(full.GetProperty("id").GetString(), Str(incremental, "parentId"));
        var fullSize = full.GetProperty("status").GetProperty("sizeBytes").GetInt64();
        var incrementalSize = incremental.GetProperty("status").GetProperty("sizeBytes").GetInt64();
        Assert.True(incrementalSize * 5 < fullSize, $"incremental {incrementalSize} bytes, full {fullSize} bytes");

        // The VM's backups and their total, as the VM page shows them.
        var listed = await Http.GetFromJsonAsync<JsonElement>($"/api/v1/vms/{id}/backups");
        Assert.Equal(2, listed.GetProperty("items").GetArrayLength());
        Assert.Equal(fullSize + incrementalSize, listed.GetProperty("totalSizeBytes").GetInt64());

        var (fromFull, fullSector) = await RestoreAsync(full.GetProperty("id").GetString()!);
        Assert.Equal(markerA, fullSector);
        var (fromIncremental, incrementalSector) = await RestoreAsync(incremental.GetProperty("id").GetString()!);
        Assert.Equal(markerC, incrementalSector);
        // The restored VMs go again: they use the guest's image, which step 4 deletes.
        foreach (var restored in new[] { fromFull, fromIncremental }) await VmApi.DeleteVmAsync(restored);
        foreach (var restored in new[] { fromFull, fromIncremental })
            await Eventually.WaitUntilAsync(async () => await VmApi.GetVmAsync(restored) is null, TimeSpan.FromSeconds(60), $"restored VM {restored} to be gone");

        // Downloaded: one standalone qcow2, the chain flattened.
        var download = Path.Combine(guest.App.DataDirectory, "download-test.qcow2");
        await using (var body = await Http.GetStreamAsync($"/api/v1/backups/{incremental.GetProperty("id").GetString()}/download"))
        await using (var file = File.Create(download))
            await body.CopyToAsync(file);
        Assert.DoesNotContain("backing", Tool.Run("qemu-img", "info", "-f", "qcow2", download), StringComparison.Ordinal);
        Assert.Equal(markerC, ReadSector(download, MarkerSector));
        File.Delete(download);

        // Over the VM itself. The API refuses while it runs; the VM page's Backups tab offers it, says the VM is stopped
        // first, stops it when confirmed and then replaces the disk: the full backup's A again.
        var disk = guest.App.Service<KrautPaths>().DiskFor(id);
        using (var running = await Http.PostAsync($"/api/v1/backups/{full.GetProperty("id").GetString()}/restore-over", null))
            Assert.Equal(HttpStatusCode.Conflict, running.StatusCode);
        await using (var page = new Portal.PortalTestContext(guest.App.Services))
        {
            Resource<VmSpec, VmStatus> vm;
            await using (var scope = guest.App.Services.CreateAsyncScope())
                vm = (await scope.ServiceProvider.GetRequiredService<KindReader>().FindAsync<VmSpec, VmStatus>(Kinds.Vms, id, CancellationToken.None))!;
            Assert.Equal(VmPhase.Running, vm.Status.Phase);
            var cut = page.RenderWithDialogs(b =>
            {
                b.OpenComponent<Features.Backups.Pages.VmBackupsTab>(0);
                b.AddAttribute(1, nameof(Features.Backups.Pages.VmBackupsTab.Vm), vm);
                b.CloseComponent();
            });
            var fullName = full.GetProperty("name").GetString()!;
            cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=backup-row]").Count), TimeSpan.FromSeconds(10));
            var row = cut.FindAll("[data-testid=backup-row]").Single(r => r.TextContent.Contains(fullName, StringComparison.Ordinal));
            Assert.StartsWith("crash-consistent", row.QuerySelector("[data-testid=backup-consistency]")!.TextContent.Trim(), StringComparison.Ordinal);
            row.QuerySelector("button[data-testid=backup-restore-over]")!.Click();
            var confirm = cut.WaitForElement(".mud-dialog", TimeSpan.FromSeconds(10));
            Assert.Contains("is running: it is shut down first", confirm.TextContent, StringComparison.Ordinal);
            cut.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == "Stop it and replace the disk").Click();
            await Eventually.WaitUntilAsync(() => Task.FromResult(File.Exists(disk) && ReadSector(disk, MarkerSector) == markerA),
                SharedRealGuest.Boot, "the tab to stop the VM and restore the full backup over it");
        }
        Assert.Equal("stopped", (await VmApi.GetVmAsync(id))!.Value.GetProperty("status").GetProperty("phase").GetString());
        // Stopped, the API does it too: the incremental backup's C.
        using (var over = await Http.PostAsync($"/api/v1/backups/{incremental.GetProperty("id").GetString()}/restore-over", null))
            Assert.True(over.IsSuccessStatusCode, $"{(int)over.StatusCode} {await over.Content.ReadAsStringAsync()}");
        Assert.Equal(markerC, ReadSector(disk, MarkerSector));
    }

    /// <summary>
    /// The stopped guest: a disk-only snapshot (no memory to save), taken by qemu-img inside libvirt. Then the VM is
    /// deleted and its snapshots' records go with it (they lived in its disk); the image it was made from (step 1) can
    /// go after it, and its content goes too.
    /// </summary>
    [Fact, Step(5)]
    public async Task Snapshots_OfAStoppedGuest_AreDiskOnly_AndGoWithTheirVm()
    {
        var id = await guest.StoppedVmAsync();
        var image = guest.Image;

        var stopped = await TakeSnapshotAsync(id, "stopped");
        var stoppedReady = await WaitForSnapshotAsync(stopped, s => (string?)s["status"]!["phase"] == "ready", "the stopped VM's snapshot");
        Assert.False((bool)stoppedReady["status"]!["memoryIncluded"]!);
        Assert.Contains(stopped.ToString("D"), Virsh("snapshot-list", VmBuilder.DomainName(id), "--name"));

        await VmApi.DeleteVmAsync(id);
        await Eventually.WaitUntilAsync(async () => (await Http.GetAsync($"/api/v1/vms/{id}")).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(90), "the VM to go");
        guest.Forget();
        await Eventually.WaitUntilAsync(async () => (await Http.GetAsync($"/api/v1/snapshots/{stopped}")).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(90), "the stopped VM's snapshot record to go with the VM");

        if (image is { } imageId)
        {
            var stored = guest.App.Service<ImageStorage>().PathFor(imageId, ImageFormat.Qcow2);
            using (var delete = await Http.DeleteAsync($"/api/v1/images/{imageId}"))
                Assert.True(delete.IsSuccessStatusCode, $"{(int)delete.StatusCode} {await delete.Content.ReadAsStringAsync()}");
            Assert.False(File.Exists(stored), "the image's content goes with it");
        }
    }

    private async Task<Guid> TakeSnapshotAsync(Guid vmId, string name)
    {
        using var response = await Http.PostAsJsonAsync($"/api/v1/vms/{vmId}/snapshots", new JsonObject { ["name"] = ApiClient.UniqueName(name) });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    private Task<JsonObject> WaitForSnapshotAsync(Guid snapshot, Func<JsonObject, bool> condition, string what) =>
        Snapshots.SnapshotWaits.WaitForAsync(Http, snapshot, condition, Taking, what);

    /// <summary>Takes a backup through the VM's route and waits for it to complete; returns the completed record.</summary>
    private async Task<JsonElement> BackUpAsync(Guid vmId, JsonObject? body)
    {
        using var response = await Http.PostAsJsonAsync($"/api/v1/vms/{vmId}/backups", body ?? []);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        JsonElement backup = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            backup = await Http.GetFromJsonAsync<JsonElement>($"/api/v1/backups/{id}");
            var phase = backup.GetProperty("status").GetProperty("phase").GetString();
            Assert.True(phase != "failed", $"backup failed: {backup}");
            return phase == "completed";
        }, BackupTime, $"backup {id} to complete");
        return backup;
    }

    /// <summary>Restores the backup into a new stopped VM; returns it and the marker's sector read from the disk that restore made.</summary>
    private async Task<(Guid Vm, string Sector)> RestoreAsync(string backupId)
    {
        using var response = await Http.PostAsJsonAsync($"/api/v1/backups/{backupId}/restore",
            new JsonObject { ["name"] = ApiClient.UniqueName("restored"), ["start"] = false });
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var vmId = Guid.Parse((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        await VmApi.WaitForPhaseAsync(vmId, "stopped", SharedRealGuest.Boot);
        var disk = guest.App.Service<KrautPaths>().DiskFor(vmId);
        Assert.DoesNotContain("backing", Tool.Run("qemu-img", "info", "-U", "-f", "qcow2", disk), StringComparison.Ordinal);
        return (vmId, ReadSector(disk, MarkerSector));
    }

    private static string ReadSector(string disk, int sector) => QcowSector.Text(disk, sector);

    private static string? Str(JsonElement backup, string field) =>
        backup.GetProperty("status").TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Virsh(params string[] args) => Tool.Run("virsh", ["-c", TestHosts.System, .. args]);
}
