using KrautPortal.Features.Backups;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;

namespace KrautPortal.Features.BackupSchedules;

/// <summary>
/// One pass over one schedule, in a scope acting as its owner: take the due run (backups made through the Backups
/// service, so its rules and the owner's rights apply), then verify each VM's new backup once it completed and apply
/// retention. Returns whether backups are still being taken (then the scheduler looks again soon).
/// </summary>
public sealed class ScheduleRun(Resource<BackupScheduleSpec, BackupScheduleStatus> schedule, ResourceStore store, KindReader reader,
    ResourceService<VmSpec, VmStatus> vms, ResourceService<BackupSpec, BackupStatus> backups, BackupVerifier verifier, TimeProvider time,
    ILogger<ScheduleRun> logger)
{
    /// <summary>A selector reaching more VMs than this is cut here, and the status says so.</summary>
    public const int MaxVms = 500;

    private readonly StatusWriter<BackupScheduleStatus> _writer = new(store, Kinds.BackupSchedules, schedule.Id, schedule.Status);

    public BackupScheduleStatus Status => _writer.Current;

    public async Task<bool> RunAsync(CancellationToken ct)
    {
        if (ScheduleEvery.Parse(schedule.Spec.Every) is not { } every)
        {
            await _writer.WriteAsync(s => s with { Error = ScheduleEvery.Explained, NextRunAt = null }, ct);
            return false;
        }
        var now = time.GetUtcNow().UtcDateTime;
        // Started but not finished (NextRunAt unset): the portal stopped mid-run; that run is finished, not started again.
        var unfinished = Status.LastRunAt is not null && Status.NextRunAt is null;
        if (unfinished || ScheduleEvery.IsDue(Status.LastRunAt, schedule.CreatedAt, every, now))
        {
            if (!unfinished) await _writer.WriteAsync(s => s with { LastRunAt = now, NextRunAt = null, LastResults = [], Error = null }, ct);
            var (results, error) = await TakeAsync(Status.LastRunAt!.Value, ct);
            await _writer.WriteAsync(s => s with { LastResults = results, Error = error }, ct);
        }
        await _writer.WriteAsync(s => s with { NextRunAt = ScheduleEvery.NextRun(s.LastRunAt, schedule.CreatedAt, every) }, ct);
        return await FollowUpAsync(ct);
    }

    private async Task<(IReadOnlyList<ScheduleVmResult>, string?)> TakeAsync(DateTime runStart, CancellationToken ct)
    {
        var results = new List<ScheduleVmResult>();
        string? error = null;
        List<Resource<VmSpec, VmStatus>> targets = [];
        if (schedule.Spec.VmId is { } vmId)
        {
            if (await vms.FindAsync(vmId, ct) is { } vm) targets.Add(vm);
            else error = $"VM {vmId} is gone, or {schedule.Owner} may no longer see it.";
        }
        else
        {
            var ids = await vms.ListIdsAsync(schedule.Spec.Selector, MaxVms + 1, ct);
            if (ids.Count > MaxVms) error = $"The selector matches more than {MaxVms} VMs; only the first {MaxVms} (by name) were backed up.";
            foreach (var id in ids.Take(MaxVms))
                if (await vms.FindAsync(id, ct) is { } vm) targets.Add(vm);
        }
        foreach (var vm in targets) results.Add(await TakeOneAsync(vm, runStart, ct));
        return (results, error);
    }

    private async Task<ScheduleVmResult> TakeOneAsync(Resource<VmSpec, VmStatus> vm, DateTime runStart, CancellationToken ct)
    {
        var all = await BackupRules.OfVmAsync(reader, vm.Id, ct);
        // Taken already in this run (before a restart): recorded, not taken twice.
        if (all.FirstOrDefault(b => BackupRetention.IsOurs(b, schedule.Id) && b.CreatedAt >= runStart) is { } taken)
            return new ScheduleVmResult(vm.Id, vm.Name, taken.Id, null);
        try
        {
            var note = BackupRetention.NoteFor(schedule.Name, schedule.Id);
            var created = await backups.CreateAsync(BackupsApi.NewBackup(vm, KindFor(all), note, time), ct);
            return new ScheduleVmResult(vm.Id, vm.Name, created.Id, null);
        }
        catch (KrautProblemException e)
        {
            return new ScheduleVmResult(vm.Id, vm.Name, null, e.Detail);
        }
    }

    /// <summary>Full once the newest chain has <see cref="BackupScheduleSpec.FullEvery"/> links; otherwise the runner's choice.</summary>
    private BackupKind? KindFor(IReadOnlyList<Resource<BackupSpec, BackupStatus>> all)
    {
        if (schedule.Spec.FullEvery is not { } n) return null;
        var points = all.Select(b => BackupRetention.PointOf(b, schedule.Id)).ToList();
        var newest = points.Where(p => p.Completed).MaxBy(p => p.CompletedAt);
        return newest is not null && BackupRetention.ChainLength(points, newest.Id) >= n ? BackupKind.Full : null;
    }

    private async Task<bool> FollowUpAsync(CancellationToken ct)
    {
        var busy = false;
        var results = Status.LastResults.ToList();
        for (var i = 0; i < results.Count; i++)
        {
            if (results[i] is not { BackupId: { } id, Verification: null } r) continue;
            var backup = await reader.FindAsync<BackupSpec, BackupStatus>(Kinds.Backups, id, ct);
            switch (backup?.Status.Phase)
            {
                case null: results[i] = r with { Verification = "not verified: the backup was deleted first" }; break;
                case BackupPhase.Pending or BackupPhase.Running: busy = true; break;
                case BackupPhase.Failed: results[i] = r with { Verification = $"not verified: the backup failed ({backup.Status.Error})" }; break;
                case BackupPhase.Completed: results[i] = r with { Verification = await verifier.VerifyAsync(backup, reader, ct) }; break;
            }
        }
        var removed = new List<string>();
        foreach (var vmId in results.Select(r => r.VmId).Distinct()) removed.AddRange(await ApplyRetentionAsync(vmId, ct));
        await _writer.WriteAsync(s => s with
        {
            LastResults = results.SequenceEqual(s.LastResults) ? s.LastResults : results,
            Removed = removed.Count > 0 ? removed : s.Removed,
        }, ct);
        return busy;
    }

    /// <summary>Deletes this schedule's backups of the VM beyond its keep that nothing staying builds on (newest first).</summary>
    private async Task<IReadOnlyList<string>> ApplyRetentionAsync(Guid vmId, CancellationToken ct)
    {
        var all = await BackupRules.OfVmAsync(reader, vmId, ct);
        var removed = new List<string>();
        foreach (var id in BackupRetention.ToRemove(all.Select(b => BackupRetention.PointOf(b, schedule.Id)).ToList(), schedule.Spec.Keep))
        {
            try
            {
                await backups.DeleteAsync(id, null, ct);
                removed.Add(all.First(b => b.Id == id).Name);
            }
            catch (KrautProblemException e)
            {
                // Stays for now (e.g. someone else's backup came to build on it); the next pass looks again.
                logger.LogWarning("Retention of schedule {Schedule} could not delete backup {Backup}: {Reason}", schedule.Id, id, e.Detail);
            }
        }
        return removed;
    }
}
