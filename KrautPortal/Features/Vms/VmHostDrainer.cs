using KrautPortal.Features.Hosts;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms;

/// <summary>
/// The VM feature's answer to <see cref="IHostDrainer"/>: starting a drain cordons the host and records every VM on it as
/// waiting; <see cref="AdvanceAsync"/> (run by <see cref="HostDrainWorker"/>) moves them on, at most
/// <see cref="MovesAbreast"/> at a time, each where the scheduler puts it. Running VMs are never stopped: without live
/// migration they are left in place and reported. Scoped.
/// </summary>
public sealed class VmHostDrainer(KindReader reader, HostCordons cordons, HostDrains drains, VmMoves moves, IVmMigrator migrator,
    HostDrainWorker worker, Reconciling.IReconcileOwnership ownership, TimeProvider time, ILogger<VmHostDrainer> logger) : IHostDrainer
{
    /// <summary>Moves of one drain under way at once: each copies a disk through this machine.</summary>
    public const int MovesAbreast = 2;

    public async Task<HostDrainPreview> PreviewAsync(string uri, CancellationToken ct)
    {
        var vms = await OnHostAsync(uri, ct);
        return new HostDrainPreview(vms.Count, vms.Where(VmMoves.IsRunning).Select(v => v.Name).Order(StringComparer.Ordinal).ToList(), migrator.LiveAvailable);
    }

    public async Task<HostDrain> StartAsync(string uri, string by, CancellationToken ct)
    {
        await cordons.CordonAsync(uri, by, ct);
        if ((await drains.AllAsync(ct)).GetValueOrDefault(uri) is { FinishedAt: null } running) return running;
        var vms = await OnHostAsync(uri, ct);
        var drain = new HostDrain(uri, by, time.GetUtcNow().UtcDateTime,
            vms.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => new HostDrainVm(v.Id, v.Name, HostDrainVm.Waiting)).ToList());
        // Only the replica owning the host moves its VMs (its worker), or two replicas' passes would both start the same
        // moves; another replica records the drain and the owner's worker takes it up within its interval.
        if (!await OwnsAsync(uri, ct))
        {
            await drains.SaveAsync(drain, ct);
            return drain;
        }
        drain = await AdvanceAsync(drain, ct, save: true);
        worker.Wake();
        return drain;
    }

    /// <summary>Whether this replica drives the host's VMs (<see cref="Reconciling.OwnerKeys.Host"/>) and so its drain.</summary>
    public ValueTask<bool> OwnsAsync(string uri, CancellationToken ct) => ownership.OwnsAsync(Reconciling.OwnerKeys.Host(uri), ct);

    /// <summary>One pass over a drain: each VM's state from its record, new moves started while fewer than two run; saved when changed.</summary>
    public async Task<HostDrain> AdvanceAsync(HostDrain drain, CancellationToken ct, bool save = false)
    {
        var items = new List<HostDrainVm>(drain.Vms.Count);
        var vms = (await reader.AllAsync<VmSpec, VmStatus>(Kinds.Vms, ct)).ToDictionary(v => v.Id);
        foreach (var item in drain.Vms) items.Add(Observe(drain.Uri, item, vms.GetValueOrDefault(item.Id)));
        for (var i = 0; i < items.Count && items.Count(v => v.State == HostDrainVm.Moving) < MovesAbreast; i++)
        {
            if (items[i].State is not (HostDrainVm.Waiting or HostDrainVm.Left) || vms.GetValueOrDefault(items[i].Id) is not { } vm) continue;
            items[i] = await TryMoveAsync(drain, items[i], vm, ct);
        }
        var finished = items.All(v => v.State is not (HostDrainVm.Waiting or HostDrainVm.Moving)) ? drain.FinishedAt ?? time.GetUtcNow().UtcDateTime : (DateTime?)null;
        var next = drain with { Vms = items, FinishedAt = finished };
        if (save || next.FinishedAt != drain.FinishedAt || !next.Vms.SequenceEqual(drain.Vms)) await drains.SaveAsync(next, ct);
        return next;
    }

    /// <summary>Where a VM of the drain is now, judged from its record alone.</summary>
    private static HostDrainVm Observe(string uri, HostDrainVm item, Resource<VmSpec, VmStatus>? vm)
    {
        if (vm is null) return item with { State = HostDrainVm.Gone, Reason = "deleted during the drain" };
        if (vm.Status.Host != uri) return item with { State = HostDrainVm.Moved, To = vm.Status.Host, Reason = null };
        if (VmMover.PendingTarget(vm.Spec, vm.Status) is { } to)
            return item with { State = HostDrainVm.Moving, To = to, Reason = vm.Status.Move?.Error };
        // A move that was under way and is no longer, with the VM still here: it was given up (the target went away).
        return item.State == HostDrainVm.Moving ? item with { State = HostDrainVm.Failed, Reason = vm.Status.LastError ?? "the move did not finish" } : item;
    }

    private async Task<HostDrainVm> TryMoveAsync(HostDrain drain, HostDrainVm item, Resource<VmSpec, VmStatus> vm, CancellationToken ct)
    {
        if (moves.WhyCannotMove(vm) is { } why) return item with { State = VmMoves.IsRunning(vm) ? HostDrainVm.Left : HostDrainVm.Failed, Reason = why };
        try
        {
            // Kraut's own VMs (routers) are changed by Kraut only; the rest in the name of the admin who drains.
            var actor = vm.System ? Actor.System : new Actor(drain.By, IsAdmin: true, [], Via: "drain");
            var moved = await moves.RequestAsync(vm.Id, null, actor, ct);
            logger.LogInformation("Drain of {Host}: moving VM {Id} to {Target}", drain.Uri, vm.Id, moved.Spec.Host);
            return item with { State = HostDrainVm.Moving, To = moved.Spec.Host, Reason = null };
        }
        catch (KrautProblemException e)
        {
            logger.LogInformation("Drain of {Host}: VM {Id} cannot move: {Reason}", drain.Uri, vm.Id, e.Detail);
            return item with { State = HostDrainVm.Failed, Reason = e.Detail };
        }
    }

    private async Task<List<Resource<VmSpec, VmStatus>>> OnHostAsync(string uri, CancellationToken ct) =>
        (await reader.AllAsync<VmSpec, VmStatus>(Kinds.Vms, ct)).Where(v => v.Status.Host == uri && v.DeletionRequestedAt is null).ToList();
}

/// <summary>
/// Advances every unfinished drain of a host this replica owns every few seconds (and at once when one starts), so their
/// moves go on without a request.
/// </summary>
public sealed class HostDrainWorker(IServiceScopeFactory scopes, ILogger<HostDrainWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var drains = await scope.ServiceProvider.GetRequiredService<HostDrains>().AllAsync(stoppingToken);
                var drainer = scope.ServiceProvider.GetRequiredService<VmHostDrainer>();
                foreach (var drain in drains.Values.Where(d => d.FinishedAt is null))
                    if (await drainer.OwnsAsync(drain.Uri, stoppingToken)) await drainer.AdvanceAsync(drain, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Advancing host drains failed; trying again shortly");
            }
            try
            {
                await _wake.WaitAsync(Interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
