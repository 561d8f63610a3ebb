using System.Text.Json.Nodes;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Backups;

/// <summary>What a new VM made from a backup is: like the wizard's choices; what is left out is the backed-up VM's.</summary>
public sealed record RestoreRequest(string Name, Guid? MachineTypeId, IReadOnlyList<Guid>? NetworkIds, JsonObject? Metadata, bool Start = true);

/// <summary>
/// Restores: into a new VM (a create whose spec names the backup, <see cref="VmSpec.RestoreFrom"/>; the VM builder asks
/// here for the disk) or over the stopped VM itself. Either way the chain is verified against its checksums and flattened
/// into one standalone qcow2 first, written under a temporary name and renamed, so a crash leaves the old disk or the new.
/// </summary>
public sealed class BackupRestores(KindReader reader, KrautPaths paths, HostRegistryAccess local,
    ResourceService<BackupSpec, BackupStatus> backups, ResourceService<VmSpec, VmStatus> vms, IKindAuthorizer authorizer)
{
    /// <summary>Creates the new VM (the VM's rules check the request like any create); its disk is made from the backup.</summary>
    public async Task<Resource<VmSpec, VmStatus>> RestoreNewAsync(Guid backupId, RestoreRequest request, CancellationToken ct)
    {
        var backup = await backups.GetAsync(backupId, ct);
        if (backup.Status.Source is not { } source)
            throw new ConflictException($"Backup '{backup.Name}' is {backup.Status.Phase.ToString().ToLowerInvariant()}; only a completed backup can be restored.");
        var machineTypeChanged = request.MachineTypeId is { } mt && mt != source.MachineTypeId;
        var spec = new VmSpec
        {
            ImageId = source.ImageId,
            MachineTypeId = request.MachineTypeId ?? source.MachineTypeId,
            Vcpus = machineTypeChanged ? 0 : source.Vcpus,
            MemoryMiB = machineTypeChanged ? 0 : source.MemoryMiB,
            DiskGiB = source.DiskGiB,
            Nics = (request.NetworkIds ?? source.NetworkIds).Select(n => new VmNic { NetworkId = n }).ToList(),
            RestoreFrom = backup.Id,
            Power = request.Start ? PowerState.Running : PowerState.Stopped,
        };
        return await vms.CreateAsync(new ResourceInput<VmSpec>(request.Name, request.Metadata ?? [], spec), ct);
    }

    /// <summary>
    /// Replaces the VM's disk with the backup's content. The VM must be stopped (the VM page's Backups tab stops a running one first, after asking); its
    /// checkpoints described the old disk's bitmaps, so they go (their metadata), and the next backup is a full one.
    /// </summary>
    public async Task<Resource<VmSpec, VmStatus>> RestoreOverAsync(Guid backupId, CancellationToken ct)
    {
        var backup = await backups.GetAsync(backupId, ct);
        var vm = await vms.GetAsync(backup.Spec.VmId, ct);
        authorizer.Demand(Verbs.Update, Kinds.Vms, vm.Id);
        if (vm.Spec.Power != PowerState.Stopped || vm.Status.Phase != VmPhase.Stopped)
            throw new ConflictException($"VM '{vm.Name}' is {vm.Status.Phase.ToString().ToLowerInvariant()}; stop it first, its disk is replaced as a whole.");
        if (local.Local is not { } host || (vm.Status.Host ?? vm.Spec.Host) != host.Uri)
            throw new ConflictException($"VM '{vm.Name}' is not on the portal's own machine, where its backups are.");
        var chain = await BackupFiles.VerifiedChainAsync(backup, FindAsync, ct);
        var disk = paths.DiskFor(vm.Id);
        var temporary = disk + ".restore.tmp";
        File.Delete(temporary);
        await BackupFiles.FlattenAsync(chain, temporary, null, ct);
        File.Move(temporary, disk, overwrite: true);
        // Newest first: a checkpoint with children may refuse to go, and one left behind blocks the VM's internal
        // snapshots ("cannot perform block operations while checkpoint exists").
        foreach (var other in (await BackupRules.OfVmAsync(reader, vm.Id, ct)).OrderByDescending(b => b.Status.CompletedAt ?? b.CreatedAt))
        {
            if (other.Status.Checkpoint is not { } name) continue;
            try
            {
                host.Connection.DeleteCheckpoint(vm.Id, name, metadataOnly: true);
            }
            catch (LibvirtException)
            {
                // Already gone; a stale one would only make the next backup fail to build on it.
            }
        }
        return vm;
    }

    private async Task<Resource<BackupSpec, BackupStatus>?> FindAsync(Guid id) =>
        await reader.FindAsync<BackupSpec, BackupStatus>(Kinds.Backups, id, CancellationToken.None);
}

/// <summary>The Backups side of <see cref="IVmRestoreSource"/>: a singleton, as the VM builder that asks it is.</summary>
public sealed class BackupDisks(IServiceScopeFactory scopes) : IVmRestoreSource
{
    public async Task<string?> ProblemAsync(Guid backupId, Actor actor, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
        if (await store.FindAsync(Kinds.Backups.Name, backupId, actor, ct) is not { } row) return $"There is no backup with id {backupId}.";
        var backup = Resource<BackupSpec, BackupStatus>.FromRow(row);
        return backup.Status.Phase == BackupPhase.Completed ? null
            : $"Backup '{backup.Name}' is {backup.Status.Phase.ToString().ToLowerInvariant()}; only a completed backup can be restored.";
    }

    public async Task WriteDiskAsync(Guid backupId, string target, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var reader = scope.ServiceProvider.GetRequiredService<KindReader>();
        Task<Resource<BackupSpec, BackupStatus>?> FindAsync(Guid id) => reader.FindAsync<BackupSpec, BackupStatus>(Kinds.Backups, id, ct);
        var backup = await FindAsync(backupId) ?? throw new VmBuildException($"Backup {backupId} is gone.");
        try
        {
            var chain = await BackupFiles.VerifiedChainAsync(backup, FindAsync, ct);
            await BackupFiles.FlattenAsync(chain, target, null, ct);
        }
        catch (ConflictException e)
        {
            throw new VmBuildException(e.Detail);
        }
    }
}

/// <summary>This machine's host, if the portal has one (not only the demo host).</summary>
public sealed class HostRegistryAccess(Hosts.HostRegistry hosts)
{
    public Hosts.KrautHost? Local => hosts.Hosts.FirstOrDefault(h => h.IsLocal);
}
