using KrautPortal.Features;
using KrautPortal.Features.BackupSchedules;
using KrautPortal.Features.Backups;
using KrautPortal.Features.Store;
using KrautPortal.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.BackupSchedules;

/// <summary>
/// What a portal killed in the middle of a run leaves (the run marked started, not finished, one VM's backup already
/// taken) is finished on restart: the backup taken is recorded, none is taken twice, and the next run is counted from
/// the recorded start, not from the restart.
/// </summary>
public sealed class ScheduleRestartTests(SchedulePortal portal) : IClassFixture<SchedulePortal>
{
    [Fact]
    public async Task AnUnfinishedRun_IsFinished_WithoutTakingTwice_AndTheNextRunCountsFromItsStart()
    {
        var vmId = await portal.VmOfAsync("alice");
        var app = portal.Api.App;
        var started = DateTime.UtcNow.AddSeconds(-30);
        var scheduleId = Guid.NewGuid();
        const string name = "restarted";
        Guid backupId;
        await using (var scope = app.CreateActorScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
            await store.CreateAsync(new NewResource(Kinds.BackupSchedules.Name, name, "alice", [],
                KrautJson.Serialize(new BackupScheduleSpec { VmId = vmId, Every = "hourly", Keep = 3 }),
                KrautJson.Serialize(new BackupScheduleStatus { LastRunAt = started }), false, scheduleId), Actor.System, CancellationToken.None);
            // Taken by that run before the portal died (stored directly: the demo host has no disk to copy).
            var backup = await store.CreateAsync(new NewResource(Kinds.Backups.Name, "restarted-backup", "alice", [],
                KrautJson.Serialize(new BackupSpec { VmId = vmId, Note = BackupRetention.NoteFor(name, scheduleId) }),
                KrautJson.Serialize(new BackupStatus { Phase = BackupPhase.Completed, CompletedAt = DateTime.UtcNow }), false, Guid.NewGuid()),
                Actor.System, CancellationToken.None);
            backupId = backup.Id;
        }

        app.Service<BackupScheduler>().Enqueue(scheduleId);

        var status = await Eventually.WaitForAsync(async () =>
        {
            await using var scope = app.CreateActorScope();
            var s = await scope.ServiceProvider.GetRequiredService<KindReader>()
                .FindAsync<BackupScheduleSpec, BackupScheduleStatus>(Kinds.BackupSchedules, scheduleId, CancellationToken.None);
            return s?.Status.NextRunAt is not null ? s.Status : null;
        }, TimeSpan.FromSeconds(30), "the unfinished run to be finished");
        Assert.Equal(backupId, Assert.Single(status.LastResults).BackupId);
        Assert.Equal(started, status.LastRunAt!.Value, TimeSpan.FromMilliseconds(1));
        Assert.Equal(started.AddHours(1), status.NextRunAt!.Value, TimeSpan.FromMilliseconds(1));
        await using (var scope = app.CreateActorScope())
            Assert.Single(await BackupRules.OfVmAsync(scope.ServiceProvider.GetRequiredService<KindReader>(), vmId, CancellationToken.None));
    }
}
