using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;

namespace KrautPortal.Features.Snapshots;

/// <summary>
/// A snapshot belongs to a VM the caller can see (another tenant's VM is "no VM with that id"), has the VM's owner, and
/// is taken only when <see cref="SnapshotCapabilities"/> says the VM's host can; its VM and memory choice never change.
/// Deleting removes the libvirt snapshot first (<see cref="SnapshotReconciler"/>).
/// </summary>
public sealed class SnapshotRules(ResourceStore store, SnapshotCapabilities capabilities, SnapshotReconciler reconciler)
    : IResourceRules<SnapshotSpec, SnapshotStatus>, IOwnerRules<SnapshotSpec>
{
    public const int MaxDescriptionLength = 1024;

    public KindInfo Kind => Kinds.Snapshots;
    public bool DeletesAsynchronously => true;

    public async Task<SnapshotSpec> PrepareAsync(SnapshotSpec spec, Resource<SnapshotSpec, SnapshotStatus>? existing, Actor actor, ValidationErrors errors,
        CancellationToken ct)
    {
        if (spec.Description is { Length: > MaxDescriptionLength } d)
            errors.Add("spec.description", $"A description may have at most {MaxDescriptionLength} characters (this one has {d.Length}).");
        if (existing is not null)
        {
            if (existing.Spec.VmId != spec.VmId) errors.Add("spec.vmId", "A snapshot stays with the VM it was taken of.");
            if (spec.IncludeMemory is { } asked && asked != existing.Spec.IncludeMemory)
                errors.Add("spec.includeMemory", "Whether a snapshot holds memory is decided when it is taken.");
            if (spec.RevertGeneration < existing.Spec.RevertGeneration)
                errors.Add("spec.revertGeneration", "The revert count only goes up; request a revert with POST /api/v1/vms/{vmId}/snapshots/{id}/revert.");
            await CheckOwnerAsync(spec, existing.Owner, actor, errors, ct);
            return spec with { IncludeMemory = existing.Spec.IncludeMemory };
        }
        if (spec.RevertGeneration != 0) errors.Add("spec.revertGeneration", "A new snapshot has nothing to revert yet; leave this out.");
        if (await VmAsync(spec.VmId, actor, errors, ct) is not { } vm) return spec;
        // The host's and VM's limits are a conflict with what the VM is (409 naming the reason), not a malformed field.
        var offer = (await capabilities.ForAsync(vm, ct)).Require();
        var memory = spec.IncludeMemory ?? offer.Running;
        if (SnapshotCapabilities.MemoryProblem(offer, memory) is { } problem) throw new ConflictException(problem);
        return spec with { IncludeMemory = memory };
    }

    /// <summary>The VM's owner owns its snapshots: they live inside its disk.</summary>
    public async Task CheckOwnerAsync(SnapshotSpec spec, string owner, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (await store.FindAsync(Kinds.Vms.Name, spec.VmId, actor, ct) is { } row && row.Owner != owner)
            errors.Add("spec.vmId", $"VM '{row.Name}' belongs to {row.Owner}, but this snapshot would belong to {owner}; a snapshot belongs to its VM's owner.");
    }

    private async Task<Resource<VmSpec, VmStatus>?> VmAsync(Guid id, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (await store.FindAsync(Kinds.Vms.Name, id, actor, ct) is not { } row)
        {
            errors.Add("spec.vmId", $"There is no VM with id {id}.");
            return null;
        }
        var vm = Resource<VmSpec, VmStatus>.FromRow(row);
        if (vm.DeletionRequestedAt is null) return vm;
        errors.Add("spec.vmId", $"VM '{vm.Name}' is being deleted.");
        return null;
    }

    public SnapshotStatus InitialStatus(SnapshotSpec spec) => new() { MemoryIncluded = spec.IncludeMemory == true };

    public Task EnsureDeletableAsync(Resource<SnapshotSpec, SnapshotStatus> existing, Actor actor, CancellationToken ct) => Task.CompletedTask;

    public void Changed(Guid id) => reconciler.Enqueue(id);

    /// <summary>Every snapshot record of the VM (a LIKE on the spec narrows the rows in SQL, the typed check decides).</summary>
    public static async Task<IReadOnlyList<Record<SnapshotSpec>>> OfVmAsync(KindReader reader, Guid vmId, CancellationToken ct) =>
        (await reader.MentioningAsync<SnapshotSpec>(Kinds.Snapshots, vmId, ct)).Where(s => s.Spec.VmId == vmId).ToList();
}
