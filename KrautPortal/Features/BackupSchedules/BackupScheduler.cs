using KrautPortal.Features.Auth;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.BackupSchedules;

/// <summary>
/// Runs each schedule when it is due and looks after what its runs left: retention once backups complete, and a
/// verification (checksums and a test restore) of each VM's newest one. Due times come from the record
/// (<see cref="BackupScheduleStatus.LastRunAt"/>), and a run marks itself started before it takes anything and finished
/// after, so a portal restarted mid-run finishes that run (taking only what it had not yet taken) and never runs twice.
/// With several replicas one of them runs schedules: the one holding the <see cref="OwnerKey"/> (as routers do).
/// </summary>
public sealed class BackupScheduler(IServiceScopeFactory scopes, TimeProvider time, ILogger<BackupScheduler> logger) : ReconcileLoop(logger, workers: 1)
{
    public const string OwnerKey = "backup-schedules";

    /// <summary>How soon to look again while a run's backups are still being taken.</summary>
    public static readonly TimeSpan WhileBusy = TimeSpan.FromSeconds(3);

    /// <summary>The longest wait before looking again, so a changed clock or a missed wake-up costs at most this.</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(10);

    public override string? WatchedKind => Kinds.BackupSchedules.Name;

    protected override TimeSpan? PollInterval => TimeSpan.FromMinutes(5);

    protected override Task<string?> OwnerKeyAsync(Guid id, CancellationToken ct) => Task.FromResult<string?>(OwnerKey);

    protected override Task StartupAsync(CancellationToken ct) => PollAsync(ct);

    protected override async Task PollAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        foreach (var id in await scope.ServiceProvider.GetRequiredService<KindReader>().IdsAsync(Kinds.BackupSchedules, ct)) Enqueue(id, ensure: false);
    }

    protected override async Task<TimeSpan?> ReconcileAsync(Guid id, bool ensure, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var reader = services.GetRequiredService<KindReader>();
        if (await reader.FindAsync<BackupScheduleSpec, BackupScheduleStatus>(Kinds.BackupSchedules, id, ct) is not { } schedule) return null;
        // Everything from here on is done as the schedule's owner, through the same services a request of theirs uses.
        services.GetRequiredService<RequestActorAccessor>().CircuitActor = await services.GetRequiredService<ScheduleActor>().ForAsync(schedule.Owner, ct);
        var run = ActivatorUtilities.CreateInstance<ScheduleRun>(services, schedule);
        var busy = await run.RunAsync(ct);
        if (busy) return WhileBusy;
        var wait = run.Status.NextRunAt is { } next ? next - time.GetUtcNow().UtcDateTime : LongestWait;
        return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait > LongestWait ? LongestWait : wait;
    }
}
