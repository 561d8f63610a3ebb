using KrautPortal.Features.Hosts;
using KrautPortal.Features.Scheduling;
using KrautPortal.Features.Store;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Vms;

/// <summary>
/// Records the wish to move a VM (administrators only): the target, given or chosen by the scheduler among the other
/// hosts, becomes <c>spec.host</c> in a new version, decided under the placement lock like a create; the
/// <see cref="VmMover"/> carries it out. Scoped.
/// </summary>
public sealed class VmMoves(ResourceStore store, KindReader reader, VmScheduling scheduling, HostRegistry hosts, IVmMigrator migrator,
    VmReconciler reconciler, IOptions<SchedulingOptions> options)
{
    /// <summary>
    /// Moves VM <paramref name="id"/> to <paramref name="target"/> (a host id or URI), or where the scheduler puts it
    /// when null; returns the VM as recorded. Refusals are problems: 403, 404, 409 with the reason.
    /// </summary>
    public async Task<Resource<VmSpec, VmStatus>> RequestAsync(Guid id, string? target, Actor actor, CancellationToken ct)
    {
        if (!actor.IsAdmin) throw new ForbiddenException("Only administrators may move a VM between hosts: it decides where every tenant's VMs run.");
        var targetHost = target is null ? null : hosts.Resolve(target);
        var row = await store.InTransactionAsync(async () =>
        {
            await store.LockAsync(VmScheduling.LockName, ct);
            var vm = await reader.FindAsync<VmSpec, VmStatus>(Kinds.Vms, id, ct) ?? throw new NotFoundException(Kinds.Vms.Singular, id);
            var chosen = await ChooseAsync(vm, targetHost, actor, ct);
            return await store.UpdateAsync(Kinds.Vms.Name, id, null, actor, r =>
            {
                r.Spec = KrautJson.Serialize(KrautJson.Deserialize<VmSpec>(r.Spec) with { Host = chosen });
                return $"move to {chosen}";
            }, ct);
        }, ct);
        reconciler.Enqueue(id);
        return Resource<VmSpec, VmStatus>.FromRow(row);
    }

    /// <summary>Why <paramref name="vm"/> cannot move now, or null: the drain reports this for VMs it leaves in place.</summary>
    public string? WhyCannotMove(Resource<VmSpec, VmStatus> vm)
    {
        if (vm.DeletionRequestedAt is not null) return "It is being deleted.";
        if (vm.Status.Host is null) return "It has not been placed on a host yet.";
        if (VmMover.PendingTarget(vm.Spec, vm.Status) is { } moving) return $"It is already moving to {moving}.";
        if (IsRunning(vm) && !migrator.LiveAvailable)
            return "It is running and live migration is not available: stop it to move it (it is then moved cold, with its disk).";
        return null;
    }

    public static bool IsRunning(Resource<VmSpec, VmStatus> vm) =>
        vm.Spec.Power == PowerState.Running || vm.Status.Phase is VmPhase.Running or VmPhase.Starting or VmPhase.Rebooting or VmPhase.Stopping or VmPhase.Paused;

    private async Task<string> ChooseAsync(Resource<VmSpec, VmStatus> vm, KrautHost? target, Actor actor, CancellationToken ct)
    {
        if (WhyCannotMove(vm) is { } why) throw new ConflictException(why);
        var current = vm.Status.Host!;
        if (target?.Uri == current) throw new ConflictException($"The VM is on {current} already.");
        // The current host is left out: a move without a target must go somewhere else.
        var others = (await scheduling.HostsAsync(ct)).Where(h => h.Uri != current).ToList();
        if (others.Count == 0) throw new ConflictException($"There is no host other than {current} to move the VM to.");
        var decision = await VmScheduling.DecideAsync(reader, vm.Id, vm.Spec, vm.Metadata, others, await scheduling.OvercommitsAsync(ct), options.Value, ct, actor);
        if (target is null) return decision.Host ?? throw new NoValidHostException(decision);
        var verdict = decision.Hosts.First(h => h.Host == target.Uri);
        return verdict.Accepted ? target.Uri : throw new ConflictException($"The scheduler refuses {target.Uri}: {verdict.Filter}: {verdict.Reason}");
    }
}
