using System.Collections.Concurrent;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Snapshots;

/// <summary>
/// Makes libvirt hold exactly the snapshots the records ask for: takes a pending one (the libvirt snapshot is named by
/// the record's id, so a pass after a crash finds one already taken and adopts it), carries out recorded revert
/// requests, removes deleted ones, and marks a record failed when its libvirt snapshot is gone (never shown as ready).
/// Every pass starts from the records, so a portal killed between request and act converges on restart.
/// </summary>
public sealed class SnapshotReconciler(
    IServiceScopeFactory scopes,
    ChangeFeed feed,
    HostRegistry hosts,
    KrautPaths paths,
    VmReconciler vmReconciler,
    TimeProvider time,
    ILogger<SnapshotReconciler> logger) : ReconcileLoop(logger, workers: 2)
{
    /// <summary>Each snapshot's VM, so a VM's change (stopped, moved, deleted) wakes its snapshots.</summary>
    private readonly ConcurrentDictionary<Guid, Guid> _vmOf = new();
    private IDisposable? _subscription;

    /// <summary>Drift: a libvirt snapshot removed outside Kraut.</summary>
    protected override TimeSpan? PollInterval => TimeSpan.FromSeconds(60);

    protected override async Task StartupAsync(CancellationToken ct)
    {
        _subscription = feed.Subscribe(OnChange);
        await PollAsync(ct);
    }

    protected override async Task PollAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        foreach (var id in await scope.ServiceProvider.GetRequiredService<KindReader>().IdsAsync(Kinds.Snapshots, ct)) Enqueue(id, ensure: true);
    }

    /// <summary>Runs on the writer's thread: only queueing.</summary>
    private void OnChange(ResourceChange change)
    {
        if (change.Kind == Kinds.Snapshots.Name) Enqueue(change.Id, ensure: false);
        else if (change.Kind == Kinds.Vms.Name)
            foreach (var (id, vmId) in _vmOf)
                if (vmId == change.Id) Enqueue(id, ensure: false);
    }

    protected override async Task<TimeSpan?> ReconcileAsync(Guid id, bool ensure, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var store = services.GetRequiredService<ResourceStore>();
        if (await store.FindAsync(Kinds.Snapshots.Name, id, Actor.System, ct) is not { } row)
        {
            _vmOf.TryRemove(id, out _);
            return null;
        }
        var snapshot = Resource<SnapshotSpec, SnapshotStatus>.FromRow(row);
        _vmOf[id] = snapshot.Spec.VmId;
        var writer = new StatusWriter<SnapshotStatus>(store, Kinds.Snapshots, id, snapshot.Status);
        var vm = await services.GetRequiredService<KindReader>().FindAsync<VmSpec, VmStatus>(Kinds.Vms, snapshot.Spec.VmId, ct);
        var name = LibvirtName(id);

        if (vm is null)
        {
            // The VM went, and its disk with every snapshot in it.
            logger.LogInformation("Removing snapshot {Snapshot}: its VM {Vm} is gone", id, snapshot.Spec.VmId);
            await RemoveRecordAsync(store, id, ct);
            return null;
        }
        if (snapshot.DeletionRequestedAt is not null)
        {
            await writer.WriteAsync(s => s with { Phase = SnapshotPhase.Deleting }, ct);
            using (var domain = DomainOf(vm)) domain?.DeleteSnapshot(name);
            await RemoveRecordAsync(store, id, ct);
            logger.LogInformation("Snapshot {Snapshot} of VM {Vm} deleted", id, vm.Id);
            return null;
        }

        try
        {
            return await ConvergeAsync(snapshot, vm, name, writer, services, ct);
        }
        catch (Exception e) when (e is LibvirtException or HostUnavailableException)
        {
            await writer.WriteAsync(s => s with { Error = e.Message }, ct);
            throw;
        }
    }

    private async Task<TimeSpan?> ConvergeAsync(Resource<SnapshotSpec, SnapshotStatus> snapshot, Resource<VmSpec, VmStatus> vm, string name,
        StatusWriter<SnapshotStatus> writer, IServiceProvider services, CancellationToken ct)
    {
        // Mid-move the domain is on one host, then two, then the other: the VM's change at the end wakes its snapshots.
        if (vm.Status.Move is not null) return null;
        using var domain = DomainOf(vm);
        if (domain is null)
        {
            // The domain is not (yet, or no longer) there: a pending snapshot waits, a taken one cannot be vouched for.
            if (writer.Current.Phase == SnapshotPhase.Ready || vm.Status.DomainDefined)
                await FailAsync(writer, $"The VM's libvirt domain is missing on {vm.Status.Host}; its snapshot {name} cannot be found.", ct);
            return null;
        }
        var found = domain.FindSnapshot(name);
        if (found is null && writer.Current.Phase == SnapshotPhase.Pending)
        {
            var running = domain.IsActive;
            var memory = snapshot.Spec.IncludeMemory == true;
            if (running != memory)
            {
                await FailAsync(writer, memory
                    ? "The VM had stopped before its memory could be saved; take a new snapshot (a disk snapshot while stopped)."
                    : "The VM was started before its disk-only snapshot was taken; a disk-only snapshot needs the VM stopped.", ct);
                return null;
            }
            logger.LogInformation("Taking snapshot {Snapshot} of VM {Vm} ({Memory})", snapshot.Id, vm.Id, memory ? "with memory" : "disk only");
            found = domain.CreateSnapshot(name, snapshot.Spec.Description, memory);
        }
        if (found is null)
        {
            // A snapshot that failed to be taken keeps the reason it failed.
            if (writer.Current.Phase == SnapshotPhase.Failed && writer.Current.CreatedAt is null) return null;
            await FailAsync(writer, $"libvirt on {vm.Status.Host} no longer has this snapshot ({name}): it was removed outside Kraut, or the VM's disk was replaced.", ct);
            return null;
        }
        await writer.WriteAsync(s => s with
        {
            Phase = SnapshotPhase.Ready,
            CreatedAt = found.CreatedAt ?? s.CreatedAt,
            ParentId = Guid.TryParse(found.ParentName, out var parent) ? parent : null,
            MemoryIncluded = found.MemoryIncluded,
            Mechanism = found.Internal ? SnapshotCapabilities.Internal : "external",
            Host = vm.Status.Host,
            Error = null,
        }, ct);
        if (writer.Current.SizeBytes is null && await SavedStateSizeAsync(vm, found.Name, ct) is { } size)
            await writer.WriteAsync(s => s with { SizeBytes = size }, ct);
        if (snapshot.Spec.RevertGeneration > writer.Current.ObservedRevertGeneration) await RevertAsync(snapshot, vm, domain, found, writer, services, ct);
        return null;
    }

    /// <summary>
    /// Reverts, then makes the VM's wished power state what the snapshot left (running with memory, stopped without), so
    /// its reconciler neither stops nor restarts it; only then is the request counted as done. A crash before that
    /// reverts again on restart: the same state, since whatever ran in between was to be lost anyway.
    /// </summary>
    private async Task RevertAsync(Resource<SnapshotSpec, SnapshotStatus> snapshot, Resource<VmSpec, VmStatus> vm, LibvirtDomain domain,
        DomainSnapshotInfo found, StatusWriter<SnapshotStatus> writer, IServiceProvider services, CancellationToken ct)
    {
        logger.LogInformation("Reverting VM {Vm} to snapshot {Snapshot}", vm.Id, snapshot.Id);
        domain.RevertToSnapshot(found.Name);
        var power = found.MemoryIncluded ? PowerState.Running : PowerState.Stopped;
        if (vm.Spec.Power != power)
        {
            await services.GetRequiredService<ResourceService<VmSpec, VmStatus>>().AsKraut()
                .UpdateSpecAsync(vm.Id, null, s => s with { Power = power }, $"reverted to snapshot '{snapshot.Name}'", ct);
        }
        vmReconciler.Enqueue(vm.Id, ensure: false);
        await writer.WriteAsync(s => s with
        {
            ObservedRevertGeneration = snapshot.Spec.RevertGeneration,
            RevertedAt = time.GetUtcNow().UtcDateTime,
        }, ct);
    }

    /// <summary>The saved memory's size, read from the disk when it is on this machine (remote disks are volumes there).</summary>
    private async Task<long?> SavedStateSizeAsync(Resource<VmSpec, VmStatus> vm, string name, CancellationToken ct)
    {
        if (hosts.Find(vm.Status.Host) is not { IsLocal: true } || !File.Exists(paths.DiskFor(vm.Id))) return null;
        try
        {
            return (await QemuImg.SnapshotStateSizesAsync(paths.DiskFor(vm.Id), ct)).TryGetValue(name, out var size) ? size : null;
        }
        catch (QemuImgException e)
        {
            logger.LogWarning(e, "Could not read the size of snapshot {Snapshot} of VM {Vm}", name, vm.Id);
            return null;
        }
    }

    private LibvirtDomain? DomainOf(Resource<VmSpec, VmStatus> vm)
    {
        if (vm.Status.Host is not { } uri) return null;
        var host = hosts.Find(uri) ?? throw new HostUnavailableException($"The VM's host {uri} is no longer configured.", new InvalidOperationException());
        return host.Connection.FindDomain(vm.Id);
    }

    private static Task FailAsync(StatusWriter<SnapshotStatus> writer, string error, CancellationToken ct) =>
        writer.WriteAsync(s => s with { Phase = SnapshotPhase.Failed, Error = error }, ct);

    private async Task RemoveRecordAsync(ResourceStore store, Guid id, CancellationToken ct)
    {
        await store.DeleteAsync(Kinds.Snapshots.Name, id, null, Actor.System, ct);
        _vmOf.TryRemove(id, out _);
    }

    /// <summary>The libvirt snapshot's name: the record's id (the contract with images made from snapshots).</summary>
    public static string LibvirtName(Guid id) => id.ToString("D");

    public override void Dispose()
    {
        _subscription?.Dispose();
        base.Dispose();
    }
}
