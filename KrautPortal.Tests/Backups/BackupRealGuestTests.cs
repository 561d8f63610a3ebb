using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Xunit.Abstractions;

namespace KrautPortal.Tests.Backups;

/// <summary>
/// Backups of one booted test guest on real libvirtd + QEMU, in order: marker A, a full backup while it runs, marker C
/// over A, an incremental backup (only the changed blocks), then each restored into a new (stopped) VM whose disk holds
/// A and C respectively, the incremental downloaded as one flattened qcow2 holding C, and the full one restored over
/// the stopped VM itself (A again). One guest boots; the restored
/// VMs are only built (their disks are what is checked).
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class BackupRealGuestTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan BackupTime = TimeSpan.FromSeconds(180);
    private const int MarkerSector = 2048;

    private readonly KrautAppFactory _app = Start();

    private static KrautAppFactory Start()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        Tool.PackagedFile("/usr/bin/qemu-img", "qemu-utils");
        return new KrautAppFactory(KrautAppFactory.SystemDriver, seedImage: "guest");
    }

    [Fact]
    public async Task RunningGuest_FullThenIncrementalBackup_RestoresEachMarker_IncrementalIsSmall()
    {
        var http = _app.CreateClient();
        var api = new KrautApi(http);
        var id = await api.CreateVmAsync("backed-up");
        await api.WaitForPhaseAsync(id, "running", Boot);

        var markerA = await GuestSerial.WriteDiskMarkerAsync(KrautAppFactory.SystemDriver, id, MarkerSector, "KRAUT-A-");
        var watch = Stopwatch.StartNew();
        var full = await BackUpAsync(http, id, new JsonObject { ["kind"] = "full" });
        output.WriteLine($"full backup in {watch.Elapsed.TotalSeconds:0.0} s: {full}");
        Assert.Equal("full", Str(full, "kind"));
        Assert.StartsWith("crash-consistent", Str(full, "consistency"), StringComparison.Ordinal);

        var markerC = await GuestSerial.WriteDiskMarkerAsync(KrautAppFactory.SystemDriver, id, MarkerSector, "KRAUT-C-");
        watch.Restart();
        var incremental = await BackUpAsync(http, id, null);
        output.WriteLine($"incremental backup in {watch.Elapsed.TotalSeconds:0.0} s: {incremental}");
        Assert.Equal("incremental", Str(incremental, "kind"));
        Assert.Equal(full.GetProperty("id").GetString(), Str(incremental, "parentId"));
        var fullSize = full.GetProperty("status").GetProperty("sizeBytes").GetInt64();
        var incrementalSize = incremental.GetProperty("status").GetProperty("sizeBytes").GetInt64();
        Assert.True(incrementalSize * 5 < fullSize, $"incremental {incrementalSize} bytes, full {fullSize} bytes");

        // The VM's backups and their total, as the VM page shows them.
        var listed = await http.GetFromJsonAsync<JsonElement>($"/api/v1/vms/{id}/backups");
        Assert.Equal(2, listed.GetProperty("items").GetArrayLength());
        Assert.Equal(fullSize + incrementalSize, listed.GetProperty("totalSizeBytes").GetInt64());

        Assert.Equal(markerA, await RestoredSectorAsync(http, api, full.GetProperty("id").GetString()!));
        Assert.Equal(markerC, await RestoredSectorAsync(http, api, incremental.GetProperty("id").GetString()!));

        // Downloaded: one standalone qcow2, the chain flattened.
        var download = Path.Combine(_app.DataDirectory, "download-test.qcow2");
        await using (var body = await http.GetStreamAsync($"/api/v1/backups/{incremental.GetProperty("id").GetString()}/download"))
        await using (var file = File.Create(download))
            await body.CopyToAsync(file);
        Assert.DoesNotContain("backing", Tool.Run("qemu-img", "info", "-f", "qcow2", download), StringComparison.Ordinal);
        Assert.Equal(markerC, ReadSector(download, MarkerSector));

        // Over the VM itself: refused while it runs, then (stopped) its disk holds the full backup's A again.
        using (var running = await http.PostAsync($"/api/v1/backups/{full.GetProperty("id").GetString()}/restore-over", null))
            Assert.Equal(HttpStatusCode.Conflict, running.StatusCode);
        await api.ActAsync(id, "force-off");
        await api.WaitForPhaseAsync(id, "stopped", Boot);
        using (var over = await http.PostAsync($"/api/v1/backups/{full.GetProperty("id").GetString()}/restore-over", null))
            Assert.True(over.IsSuccessStatusCode, $"{(int)over.StatusCode} {await over.Content.ReadAsStringAsync()}");
        Assert.Equal(markerA, ReadSector(_app.Service<KrautPaths>().DiskFor(id), MarkerSector));
    }

    /// <summary>Takes a backup through the VM's route and waits for it to complete; returns the completed record.</summary>
    private static async Task<JsonElement> BackUpAsync(HttpClient http, Guid vmId, JsonObject? body)
    {
        using var response = await http.PostAsJsonAsync($"/api/v1/vms/{vmId}/backups", body ?? []);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        JsonElement backup = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            backup = await http.GetFromJsonAsync<JsonElement>($"/api/v1/backups/{id}");
            var phase = backup.GetProperty("status").GetProperty("phase").GetString();
            Assert.True(phase != "failed", $"backup failed: {backup}");
            return phase == "completed";
        }, BackupTime, $"backup {id} to complete");
        return backup;
    }

    /// <summary>Restores the backup into a new stopped VM and reads the marker's sector from the disk that restore made.</summary>
    private async Task<string> RestoredSectorAsync(HttpClient http, KrautApi api, string backupId)
    {
        using var response = await http.PostAsJsonAsync($"/api/v1/backups/{backupId}/restore",
            new JsonObject { ["name"] = Api.ApiClient.UniqueName("restored"), ["start"] = false });
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var vmId = Guid.Parse((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        await api.WaitForPhaseAsync(vmId, "stopped", Boot);
        var disk = _app.Service<KrautPaths>().DiskFor(vmId);
        Assert.DoesNotContain("backing", Tool.Run("qemu-img", "info", "-U", "-f", "qcow2", disk), StringComparison.Ordinal);
        return ReadSector(disk, MarkerSector);
    }

    private static string ReadSector(string disk, int sector)
    {
        var file = disk + ".sector";
        // qemu-img dd counts from the start of the image, so count is one past the sector.
        Tool.Run("qemu-img", "dd", "-U", "-f", "qcow2", "-O", "raw", "bs=512", $"skip={sector}", $"count={sector + 1}", $"if={disk}", $"of={file}");
        try
        {
            return System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(file)).TrimEnd('\0');
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string? Str(JsonElement backup, string field) =>
        backup.GetProperty("status").TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public void Dispose() => _app.Dispose();
}
