using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;

namespace KrautPortal.Tests.Backups;

/// <summary>
/// The portal killed (SIGKILL) while a backup runs, and the job lost while it is down (the VM destroyed, as a host
/// crash would): after the restart the backup is failed with a reason, its partial file is gone, and it is never
/// listed as completed. The portal keeps its backups in a directory of their own (<c>Kraut:BackupDirectory</c>), outside
/// its data directory: the job writes there, and the cleanup after the restart looks there.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class BackupCrashTests : IAsyncLifetime
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);
    private readonly string _backups = Directory.CreateTempSubdirectory("kraut-backups-").FullName;
    private readonly PortalProcess _portal;

    public BackupCrashTests() =>
        _portal = new PortalProcess(TestHosts.System, SeedImages.Guest, new Dictionary<string, string?> { ["Kraut:BackupDirectory"] = _backups });

    public Task InitializeAsync()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        return _portal.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        Directory.Delete(_backups, recursive: true);
    }

    [Fact]
    public async Task KilledDuringABackup_WhoseJobIsGone_ConvergesToFailed_WithNoPartialFile()
    {
        Guid vmId;
        string backupId;
        string? recordedFile;
        using (var client = _portal.CreateClient())
        {
            var api = new KrautApi(client);
            vmId = await api.CreateVmAsync("crash-backup");
            await api.WaitForPhaseAsync(vmId, "running", Boot);
            using var response = await client.PostAsJsonAsync($"/api/v1/vms/{vmId}/backups", new JsonObject { ["kind"] = "full" });
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            backupId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            // Killed as soon as the job is recorded as running: the runner looks at it again only a second later.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            JsonElement running;
            while (Phase(running = await client.GetFromJsonAsync<JsonElement>($"/api/v1/backups/{backupId}")) != "running")
            {
                Assert.True(DateTime.UtcNow < deadline, "the backup never ran");
                await Task.Delay(20);
            }
            recordedFile = running.GetProperty("status").GetProperty("file").GetString();
        }
        _portal.Kill();
        Tool.Run("virsh", "-c", TestHosts.System, "destroy", $"kraut-{vmId:D}");

        await _portal.StartAsync();
        using var after = _portal.CreateClient();
        JsonElement backup = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            backup = await after.GetFromJsonAsync<JsonElement>($"/api/v1/backups/{backupId}");
            return Phase(backup) != "running";
        }, TimeSpan.FromSeconds(60), "the backup to leave phase running");
        Assert.Equal("failed", Phase(backup));
        Assert.False(string.IsNullOrEmpty(backup.GetProperty("status").GetProperty("error").GetString()));
        var file = Path.Combine(_backups, vmId.ToString("D"), backupId + ".qcow2");
        Assert.Equal(file, recordedFile);
        Assert.False(Directory.Exists(Path.Combine(_portal.DataDirectory, "backups")), "nothing of the backups is under the data directory");
        Assert.False(File.Exists(file), $"{file} is left behind");
        Assert.False(File.Exists(file + ".tmp"));
    }

    private static string? Phase(JsonElement backup) => backup.GetProperty("status").GetProperty("phase").GetString();
}
