using System.Text.Json.Nodes;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;

namespace KrautPortal.Features.Snapshots;

/// <summary>A VM's snapshots with the VM's own authorization (a VM the caller cannot read is 404), for the API and the page.</summary>
public sealed class SnapshotOperations(ResourceService<VmSpec, VmStatus> vms, ResourceService<SnapshotSpec, SnapshotStatus> snapshots,
    KindReader reader, SnapshotCapabilities capabilities)
{
    /// <summary>The VM's snapshots the caller may read, oldest first, with whether a new one is offered and why not.</summary>
    public async Task<VmSnapshots> ListAsync(Guid vmId, CancellationToken ct)
    {
        var vm = await vms.GetAsync(vmId, ct);
        var items = new List<Resource<SnapshotSpec, SnapshotStatus>>();
        foreach (var record in await SnapshotRules.OfVmAsync(reader, vmId, ct))
            if (await snapshots.FindAsync(record.Id, ct) is { } snapshot) items.Add(snapshot);
        var offer = await capabilities.ForAsync(vm, ct);
        return new VmSnapshots(items.OrderBy(s => s.Status.CreatedAt ?? s.CreatedAt).ThenBy(s => s.Id).ToList(), offer.Offered, offer.Reason, offer.Running);
    }

    /// <summary>Records a snapshot of the VM (owned by the VM's owner); the reconciler takes it.</summary>
    public async Task<Resource<SnapshotSpec, SnapshotStatus>> TakeAsync(Guid vmId, string name, string? description, bool? includeMemory, JsonObject? metadata,
        CancellationToken ct)
    {
        var vm = await vms.GetAsync(vmId, ct);
        var spec = new SnapshotSpec { VmId = vmId, Description = string.IsNullOrWhiteSpace(description) ? null : description, IncludeMemory = includeMemory };
        return await snapshots.CreateAsync(new ResourceInput<SnapshotSpec>(name, metadata ?? [], spec, Owner: vm.Owner), ct);
    }

    /// <summary>Records a revert request; the reconciler carries it out (also after a restart).</summary>
    public async Task<Resource<SnapshotSpec, SnapshotStatus>> RevertAsync(Guid vmId, Guid snapshotId, long? expectedVersion, CancellationToken ct)
    {
        var vm = await vms.GetAsync(vmId, ct);
        var snapshot = await snapshots.GetAsync(snapshotId, ct);
        if (snapshot.Spec.VmId != vmId) throw new NotFoundException(Kinds.Snapshots.Singular, snapshotId);
        if (snapshot.DeletionRequestedAt is not null) throw new ConflictException($"Snapshot '{snapshot.Name}' is being deleted.");
        if (snapshot.Status.Phase != SnapshotPhase.Ready)
            throw new ConflictException($"Snapshot '{snapshot.Name}' is {snapshot.Status.Phase.ToString().ToLowerInvariant()}, not ready"
                + (snapshot.Status.Error is { } error ? $": {error}" : "; wait until it has been taken."));
        (await capabilities.ForAsync(vm, ct)).Require();
        return await snapshots.UpdateSpecAsync(snapshotId, expectedVersion, s => s with { RevertGeneration = s.RevertGeneration + 1 },
            "revert requested", ct);
    }
}

/// <summary>A VM's snapshots and whether a new one can be taken now (<c>Reason</c> says why not).</summary>
public sealed record VmSnapshots(IReadOnlyList<Resource<SnapshotSpec, SnapshotStatus>> Items, bool Offered, string? Reason, bool Running);
