using System.Net;
using System.Text.Json.Nodes;
using KrautPortal.Features.BackupSchedules;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace KrautPortal.Tests.BackupSchedules;

/// <summary>
/// The scheduler on real libvirtd with one stopped VM (backed up with qemu-img, nothing boots), its clock moved by hand:
/// the first run is due at once, each later one an hour after the last; every new backup is verified (checksums, test
/// restore); with keep 2 the third run's retention deletes the first backup, record and file.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class ScheduledBackupRunTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunTime = TimeSpan.FromSeconds(120);
    private readonly ManualClock _clock = new();
    private ApiClient? _api;

    private ApiClient Start()
    {
        Tool.PackagedFile("/usr/bin/qemu-img", "qemu-utils");
        return _api = new ApiClient(new KrautAppFactory(KrautAppFactory.SystemDriver, seedImage: "blank",
            configure: b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(_clock))));
    }

    [Fact]
    public async Task DueRuns_TakeVerifiedBackups_AndRetentionDeletesTheOldestBeyondKeep()
    {
        var api = Start();
        var body = await api.SampleAsync("vms", ApiClient.UniqueName("scheduled"));
        body["spec"]!["power"] = "stopped";
        var vmId = (Guid)(await api.CreateAsync("vms", body))["id"]!;
        await api.WaitForPhaseAsync(vmId, "stopped");

        var schedule = await api.CreateAsync("backup-schedules", SchedulePortal.Schedule(new JsonObject { ["vmId"] = vmId, ["every"] = "hourly", ["keep"] = 2 }));
        var scheduleId = (Guid)schedule["id"]!;
        var taken = new List<Guid>();
        for (var run = 1; run <= 3; run++)
        {
            if (run > 1)
            {
                _clock.Offset += TimeSpan.FromMinutes(61);
                api.App.Service<BackupScheduler>().Enqueue(scheduleId);
            }
            var result = await Eventually.WaitForAsync(async () =>
            {
                var s = await api.GetAsync($"/api/v1/backup-schedules/{scheduleId}");
                var r = s["status"]?["lastResults"]?.AsArray().SingleOrDefault();
                return r?["backupId"] is { } id && (Guid)id! is var g && !taken.Contains(g) && r["verification"] is not null ? r.AsObject() : null;
            }, RunTime, $"run {run} to take and verify a backup");
            output.WriteLine($"run {run}: {result.ToJsonString()}");
            Assert.Null(result["refusal"]);
            Assert.Contains(", ok", (string)result["verification"]!, StringComparison.Ordinal);
            taken.Add((Guid)result["backupId"]!);
        }

        // Keep 2: the first backup goes (record and file), the newer two stay.
        await Eventually.WaitUntilAsync(async () => (await api.FindAsync("backups", taken[0])) is null, RunTime, "retention to delete the first backup");
        var listed = await api.GetAsync($"/api/v1/vms/{vmId}/backups");
        Assert.Equal(taken.Skip(1).ToHashSet(), listed["items"]!.AsArray().Select(b => (Guid)b!["id"]!).ToHashSet());
        Assert.False(File.Exists(Path.Combine(api.App.DataDirectory, "backups", vmId.ToString("D"), taken[0].ToString("D") + ".qcow2")));
        var status = (await api.GetAsync($"/api/v1/backup-schedules/{scheduleId}"))["status"]!;
        Assert.Single(status["removed"]!.AsArray());

        // Due times come from the record: without a move of the clock, asking again takes nothing.
        api.App.Service<BackupScheduler>().Enqueue(scheduleId);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(2, (await api.GetAsync($"/api/v1/vms/{vmId}/backups"))["items"]!.AsArray().Count);

        // On demand: the newest backup verified through the API.
        using var verify = await api.Http.PostAsync($"/api/v1/backups/{taken[2]}/verify", null);
        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        Assert.Contains(", ok", (string)(await ApiClient.ReadAsync(verify))["result"]!, StringComparison.Ordinal);
    }

    public void Dispose() => _api?.Dispose();
}
