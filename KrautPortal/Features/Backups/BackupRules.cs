using KrautPortal.Features.Hosts;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Backups;

/// <summary>
/// A backup belongs to its VM's owner and is seen by whoever may see the VM (the store shows an object to its owner's
/// users). Only VMs on this machine are backed up (the files stay here); one backup per VM runs at a time.
/// </summary>
public sealed class BackupRules(ResourceStore store, KindReader reader, HostRegistry hosts, BackupRunner runner)
    : IResourceRules<BackupSpec, BackupStatus>, ITransactionalRules<BackupSpec>, IOwnerRules<BackupSpec>
{
    public KindInfo Kind => Kinds.Backups;
    public bool DeletesAsynchronously => true;

    public async Task<BackupSpec> PrepareAsync(BackupSpec spec, Resource<BackupSpec, BackupStatus>? existing, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (spec.Note is { Length: > 1000 }) errors.Add("spec.note", "A note may be at most 1000 characters.");
        if (existing is not null)
        {
            // Taken once: only the note may change afterwards.
            if (existing.Spec.VmId != spec.VmId || existing.Spec.Kind != spec.Kind)
                errors.Add("spec", "A backup's VM and kind are fixed once it is taken; only its note may change.");
            return spec;
        }
        if (await VmAsync(spec.VmId, actor, ct) is not { } vm)
        {
            errors.Add("spec.vmId", $"There is no VM with id {spec.VmId}.");
            return spec;
        }
        if (WhyNotHere(hosts, vm) is { } refusal) throw new ConflictException(refusal);
        if (spec.Kind == BackupKind.Incremental && !(await BackupsOfAsync(vm.Id, ct)).Any(b => b.Status is { Phase: BackupPhase.Completed, Checkpoint: not null }))
            throw new ConflictException($"VM '{vm.Name}' has no completed backup with a checkpoint to build on; take a full backup first.");
        return spec;
    }

    /// <summary>Why a VM cannot be backed up on this portal; null when it can.</summary>
    public static string? WhyNotHere(HostRegistry hosts, Resource<VmSpec, VmStatus> vm)
    {
        var uri = vm.Status.Host ?? vm.Spec.Host;
        var host = hosts.Find(uri);
        if (host is { IsDemo: true })
            return $"VM '{vm.Name}' is on the demo host {uri}, whose VMs have no disks to back up.";
        if (host is not { IsLocal: true })
            return $"VM '{vm.Name}' is on {uri ?? "no host yet"}; backups are taken only of VMs on the portal's own machine, where the backup files are kept.";
        if (vm.DeletionRequestedAt is not null) return $"VM '{vm.Name}' is being deleted.";
        if (vm.Status.Phase is VmPhase.Pending or VmPhase.Creating or VmPhase.Moving or VmPhase.Missing or VmPhase.Failed)
            return $"VM '{vm.Name}' is {vm.Status.Phase.ToString().ToLowerInvariant()}; it has no disk ready to back up.";
        return null;
    }

    public async Task CheckOwnerAsync(BackupSpec spec, string owner, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (await store.FindAsync(Kinds.Vms.Name, spec.VmId, actor, ct) is { } row && row.Owner != owner)
            errors.Add("owner", $"VM '{row.Name}' belongs to {row.Owner}, so its backups belong to {row.Owner} too, not to {owner}.");
    }

    /// <summary>Inside the create's transaction, so two requests at once cannot both start a backup of the VM.</summary>
    public async Task<BackupSpec> WritingAsync(Guid id, BackupSpec spec, BackupSpec? previous, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (previous is not null) return spec;
        var busy = (await BackupsOfAsync(spec.VmId, ct)).FirstOrDefault(b => b.Id != id && b.Status.Phase is BackupPhase.Pending or BackupPhase.Running);
        if (busy is not null) throw new ConflictException($"Backup '{busy.Name}' of this VM is still {busy.Status.Phase.ToString().ToLowerInvariant()}; one backup of a VM runs at a time.");
        return spec;
    }

    public BackupStatus InitialStatus(BackupSpec spec) => new();

    public async Task EnsureDeletableAsync(Resource<BackupSpec, BackupStatus> existing, Actor actor, CancellationToken ct)
    {
        var child = (await BackupsOfAsync(existing.Spec.VmId, ct)).FirstOrDefault(b => b.Status.ParentId == existing.Id && b.DeletionRequestedAt is null);
        if (child is not null)
            throw new ConflictException($"Incremental backup '{child.Name}' builds on this one; delete it first (or restore it and keep the new VM).");
    }

    public void Changed(Guid id) => runner.Enqueue(id);

    private async Task<Resource<VmSpec, VmStatus>?> VmAsync(Guid id, Actor actor, CancellationToken ct) =>
        await store.FindAsync(Kinds.Vms.Name, id, actor, ct) is { } row ? Resource<VmSpec, VmStatus>.FromRow(row) : null;

    private Task<IReadOnlyList<Resource<BackupSpec, BackupStatus>>> BackupsOfAsync(Guid vmId, CancellationToken ct) => OfVmAsync(reader, vmId, ct);

    /// <summary>Every backup of the VM (a LIKE on the spec narrows the rows in SQL, the typed check decides).</summary>
    public static async Task<IReadOnlyList<Resource<BackupSpec, BackupStatus>>> OfVmAsync(KindReader reader, Guid vmId, CancellationToken ct)
    {
        var needle = "%" + vmId.ToString() + "%";
        return (await reader.AllAsync<BackupSpec, BackupStatus>(Kinds.Backups, ct, r => EF.Functions.Like(r.Spec, needle)))
            .Where(b => b.Spec.VmId == vmId).ToList();
    }
}
