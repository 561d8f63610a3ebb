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
    VmReconciler reconciler, IOptions<SchedulingOptions> options, IServiceScopeFactory scopes)
{
    /// <summary>
    /// <paramref name="work"/> on a <see cref="VmMoves"/> of a scope (and database context) of its own: a page's dialog
    /// reads and moves while the page's circuit reads through its own context.
    /// </summary>
    public async Task<T> InOwnScopeAsync<T>(Func<VmMoves, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        await using var scope = scopes.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<VmMoves>());
    }

    /// <summary>
    /// Moves VM <paramref name="id"/> to <paramref name="target"/> (a host id or URI), or where the scheduler puts it
    /// when null; returns the VM as recorded. Refusals are problems: 403, 404, 409 with the reason.
    /// </summary>
    public async Task<Resource<VmSpec, VmStatus>> RequestAsync(Guid id, string? target, Actor actor, CancellationToken ct)
    {
        if (!actor.IsAdmin) throw new ForbiddenException("Only administrators may move a VM between hosts: it decides where every tenant's VMs run.");
        var targetHost = target is null ? null : hosts.Resolve(target);
        // Decided before the placement lock is taken: a host's first answer may need a probe of its KVM (seconds).
        var liveRefusals = await LiveRefusalsAsync(id, ct);
        var row = await store.InTransactionAsync(async () =>
        {
            await store.LockAsync(VmScheduling.LockName, ct);
            var vm = await reader.FindAsync<VmSpec, VmStatus>(Kinds.Vms, id, ct) ?? throw new NotFoundException(Kinds.Vms.Singular, id);
            var chosen = await ChooseAsync(vm, targetHost, IsRunning(vm) ? liveRefusals : new Dictionary<string, string>(), actor, ct);
            return await store.UpdateAsync(Kinds.Vms.Name, id, null, actor, r =>
            {
                r.Spec = KrautJson.Serialize(KrautJson.Deserialize<VmSpec>(r.Spec) with { Host = chosen });
                return $"move to {chosen}";
            }, ct);
        }, ct);
        reconciler.Enqueue(id);
        return Resource<VmSpec, VmStatus>.FromRow(row);
    }

    /// <summary>
    /// What a move of VM <paramref name="id"/> would do now, for the VM page's dialog: live or cold, and each other host's
    /// verdict (the scheduler's, or why a running VM cannot reach it live); <see cref="VmMovePreview.WhyNot"/> when it cannot move at all.
    /// </summary>
    public async Task<VmMovePreview> PreviewAsync(Guid id, Actor actor, CancellationToken ct)
    {
        var vm = await reader.FindAsync<VmSpec, VmStatus>(Kinds.Vms, id, ct) ?? throw new NotFoundException(Kinds.Vms.Singular, id);
        var live = IsRunning(vm);
        if (WhyCannotMove(vm) is { } why) return new VmMovePreview(vm.Status.Host, live, why, []);
        var refusals = live ? await LiveRefusalsAsync(id, ct) : new Dictionary<string, string>();
        var others = (await scheduling.HostsAsync(ct)).Where(h => h.Uri != vm.Status.Host).ToList();
        var decision = await VmScheduling.DecideAsync(reader, vm.Id, vm.Spec, vm.Metadata, others, await scheduling.OvercommitsAsync(ct), options.Value, ct, actor);
        var verdicts = decision.Hosts.Select(h => refusals.TryGetValue(h.Host, out var refused) ? h with { Filter = "live migration", Reason = refused, Score = null } : h).ToList();
        return new VmMovePreview(vm.Status.Host, live, others.Count == 0 ? $"There is no host other than {vm.Status.Host} to move the VM to." : null, verdicts);
    }

    /// <summary>Why <paramref name="vm"/> cannot move now, or null: the drain reports this for VMs it leaves in place.</summary>
    public string? WhyCannotMove(Resource<VmSpec, VmStatus> vm)
    {
        if (vm.DeletionRequestedAt is not null) return "It is being deleted.";
        if (vm.Status.Host is null) return "It has not been placed on a host yet.";
        if (VmMover.PendingTarget(vm.Spec, vm.Status) is { } moving) return $"It is already moving to {moving}.";
        if (IsRunning(vm) && !migrator.LiveAvailable)
            return "It is running and live migration is not available: stop it to move it (it is then moved cold, with its disk).";
        if (IsRunning(vm) && SnapshotCount(vm) is > 0 and var count)
            return $"It is running and has {count} snapshot(s), which live migration cannot carry (libvirt refuses to migrate a domain with snapshots): "
                   + "stop it to move it cold (its snapshots go with its disk), or delete them first.";
        return null;
    }

    /// <summary>How many snapshots libvirt holds for the VM on its host; null when that cannot be asked now (the move then says why).</summary>
    private int? SnapshotCount(Resource<VmSpec, VmStatus> vm)
    {
        if (hosts.Find(vm.Status.Host) is not { } host) return null;
        try
        {
            using var domain = host.Connection.FindDomain(vm.Id);
            return domain?.ListSnapshots().Count;
        }
        catch (Exception e) when (e is Hypervisor.LibvirtException or HostUnavailableException)
        {
            return null;
        }
    }

    public static bool IsRunning(Resource<VmSpec, VmStatus> vm) =>
        vm.Spec.Power == PowerState.Running || vm.Status.Phase is VmPhase.Running or VmPhase.Starting or VmPhase.Rebooting or VmPhase.Stopping or VmPhase.Paused;

    /// <summary>
    /// The hosts a running VM <paramref name="id"/> cannot move to live, with the reason: those running guests of its
    /// architecture another way than its host (KVM against TCG), as the migration itself would refuse only once begun.
    /// Empty when the VM is not running or not placed.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> LiveRefusalsAsync(Guid id, CancellationToken ct)
    {
        var refusals = new Dictionary<string, string>(StringComparer.Ordinal);
        var vm = await reader.FindAsync<VmSpec, VmStatus>(Kinds.Vms, id, ct);
        if (vm is null || !IsRunning(vm) || hosts.Find(vm.Status.Host) is not { } source) return refusals;
        var type = await reader.FindAsync<MachineTypes.MachineTypeSpec, MachineTypes.MachineTypeStatus>(Kinds.MachineTypes, vm.Spec.MachineTypeId, ct);
        var arch = type?.Spec.Architecture ?? "x86_64";
        var running = await hosts.DomainTypeForAsync(source, arch);
        foreach (var host in hosts.Hosts.Where(h => h != source && h.Capabilities is not null && h.WhyCannotRun(arch) is null))
            if (Hypervisor.MigrationXml.WhyNot(running, await hosts.DomainTypeForAsync(host, arch)) is { } reason) refusals[host.Uri] = reason;
        return refusals;
    }

    private async Task<string> ChooseAsync(Resource<VmSpec, VmStatus> vm, KrautHost? target, IReadOnlyDictionary<string, string> liveRefusals,
        Actor actor, CancellationToken ct)
    {
        if (WhyCannotMove(vm) is { } why) throw new ConflictException(why);
        var current = vm.Status.Host!;
        if (target?.Uri == current) throw new ConflictException($"The VM is on {current} already.");
        if (target is not null && liveRefusals.TryGetValue(target.Uri, out var refused))
            throw new ConflictException($"{target.Uri} cannot take this VM while it runs: {refused}");
        // The current host is left out: a move without a target must go somewhere else; so are hosts a running VM cannot reach live.
        var others = (await scheduling.HostsAsync(ct)).Where(h => h.Uri != current && !liveRefusals.ContainsKey(h.Uri)).ToList();
        if (others.Count == 0)
            throw new ConflictException(liveRefusals.Count == 0 ? $"There is no host other than {current} to move the VM to."
                : $"No other host can take this VM while it runs: {string.Join(" ", liveRefusals.Select(r => $"{r.Key}: {r.Value}"))}");
        var decision = await VmScheduling.DecideAsync(reader, vm.Id, vm.Spec, vm.Metadata, others, await scheduling.OvercommitsAsync(ct), options.Value, ct, actor);
        if (target is null) return decision.Host ?? throw new NoValidHostException(decision);
        var verdict = decision.Hosts.First(h => h.Host == target.Uri);
        return verdict.Accepted ? target.Uri : throw new ConflictException($"The scheduler refuses {target.Uri}: {verdict.Filter}: {verdict.Reason}");
    }
}

/// <summary>A move's dry run: from where, live or cold, why not at all (null: it can), and every other host's verdict.</summary>
public sealed record VmMovePreview(string? From, bool Live, string? WhyNot, IReadOnlyList<HostVerdict> Hosts);
