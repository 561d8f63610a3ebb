using System.Collections.Concurrent;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Backups;

/// <summary>
/// Takes each backup once: a running VM through a libvirt push-mode backup job (full, or incremental from the newest
/// completed backup whose checkpoint the VM still has, a new checkpoint made in the same step; the guest's filesystems
/// frozen by its agent while the job begins, when one answers), a stopped one by
/// copying its disk with qemu-img. Progress is written into the status while the job runs; on completion the file gets
/// its checksum. Every pass starts from the record and libvirt's job, so a portal restarted mid-backup converges: a job
/// still running is followed again, one that completed is finished, anything else is failed and its partial file removed.
/// </summary>
public sealed class BackupRunner(IServiceScopeFactory scopes, HostRegistry hosts, BackupFiles files, KrautPaths paths, TimeProvider time,
    ILogger<BackupRunner> logger) : ReconcileLoop(logger, workers: 2)
{
    public const string Disk = "vda";
    public const string LibvirtMethod = "libvirt";
    public const string CopyMethod = "qemu-img";
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often a libvirt job is asked about in its first seconds: a small disk's job is done within a second or two,
    /// and waiting a whole <see cref="Poll"/> to notice was half of such a backup's time (the benchmark showed it).
    /// </summary>
    private static readonly TimeSpan FastPoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan FastPollFor = TimeSpan.FromSeconds(10);

    /// <summary>Copies of stopped VMs' disks running in this process; one left by an earlier process is gone with it.</summary>
    private readonly ConcurrentDictionary<Guid, (Task Copy, double Percent)> _copies = new();

    /// <summary>Running libvirt backups this process began or has followed since it started.</summary>
    private readonly ConcurrentDictionary<Guid, bool> _followed = new();

    public static string CheckpointName(Guid backupId) => $"kraut-backup-{backupId:D}";

    protected override async Task StartupAsync(CancellationToken ct)
    {
        // Left by a process that ended mid-way: a restore over a VM not yet renamed into place, a flattened download.
        foreach (var stale in Directory.Exists(paths.Disks) ? Directory.EnumerateFiles(paths.Disks, "*.restore.tmp") : []) File.Delete(stale);
        foreach (var stale in Directory.Exists(files.Root) ? Directory.EnumerateFiles(files.Root, "download-*.qcow2") : []) File.Delete(stale);
        await using var scope = scopes.CreateAsyncScope();
        foreach (var id in await scope.ServiceProvider.GetRequiredService<KindReader>().IdsAsync(Kinds.Backups, ct)) Enqueue(id);
    }

    protected override async Task<TimeSpan?> ReconcileAsync(Guid id, bool ensure, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
        var reader = scope.ServiceProvider.GetRequiredService<KindReader>();
        if (await reader.FindAsync<BackupSpec, BackupStatus>(Kinds.Backups, id, ct) is not { } backup) return null;
        var writer = new StatusWriter<BackupStatus>(store, Kinds.Backups, id, backup.Status);
        if (backup.DeletionRequestedAt is not null)
        {
            // A copy of a stopped VM's disk cannot be stopped half-way here: the record goes once it has ended.
            if (_copies.TryGetValue(id, out var copy) && !copy.Copy.IsCompleted) return Poll;
            _copies.TryRemove(id, out _);
            await RemoveAsync(backup, store, ct);
            return null;
        }
        try
        {
            return backup.Status.Phase switch
            {
                BackupPhase.Pending => await StartAsync(backup, reader, writer, ct),
                BackupPhase.Running => await FollowAsync(backup, reader, writer, ct),
                _ => null,
            };
        }
        catch (Exception e) when (e is LibvirtException or QemuImgException or IOException or HostUnavailableException or BackupException)
        {
            await FailAsync(backup, writer, e.Message, ct);
            return null;
        }
    }

    private async Task<TimeSpan?> StartAsync(Resource<BackupSpec, BackupStatus> backup, KindReader reader, StatusWriter<BackupStatus> writer, CancellationToken ct)
    {
        var vm = await reader.FindAsync<VmSpec, VmStatus>(Kinds.Vms, backup.Spec.VmId, ct) ?? throw new BackupException("The VM is gone.");
        var host = hosts.Find(vm.Status.Host ?? vm.Spec.Host);
        if (host is not { IsLocal: true }) throw new BackupException($"VM '{vm.Name}' is not on the portal's own machine.");
        var file = files.FileFor(vm.Id, backup.Id);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.Delete(file);
        File.Delete(file + ".tmp");
        var source = new BackupSource(vm.Spec.ImageId, vm.Spec.MachineTypeId, vm.Spec.Vcpus, vm.Spec.MemoryMiB, vm.Spec.DiskGiB,
            vm.Spec.Nics.Select(n => n.NetworkId).ToList());
        var connection = host.Connection;
        bool running;
        using (var domain = connection.FindDomain(vm.Id)) running = domain?.IsActive == true;

        if (!running)
        {
            if (backup.Spec.Kind == BackupKind.Incremental)
                throw new BackupException($"VM '{vm.Name}' is stopped; an incremental backup reads the running VM's record of changed blocks. Take a full backup, or start the VM.");
            // Recorded as running before the copy begins: a crash from here on is seen on restart and cleaned up.
            await writer.WriteAsync(s => s with { Phase = BackupPhase.Running, Kind = BackupKind.Full, Method = CopyMethod, File = file,
                StartedAt = time.GetUtcNow().UtcDateTime, Consistency = BackupConsistency.Say(BackupConsistency.Stopped, "the VM was stopped"), Source = source }, ct);
            var progress = new Progress<double>(p => _copies.AddOrUpdate(backup.Id, _ => (Task.CompletedTask, p), (_, c) => (c.Copy, p)));
            var copy = Task.Run(() => QemuImg.FlattenAsync(paths.DiskFor(vm.Id), file + ".tmp", progress, CancellationToken.None), CancellationToken.None);
            _copies[backup.Id] = (copy, 0);
            _ = copy.ContinueWith(_ => Enqueue(backup.Id), TaskScheduler.Default);
            return Poll;
        }

        Resource<BackupSpec, BackupStatus>? parent = null;
        foreach (var candidate in (await BackupRules.OfVmAsync(reader, vm.Id, ct))
                     .Where(b => b.Status is { Phase: BackupPhase.Completed, Checkpoint: not null } && b.DeletionRequestedAt is null)
                     .OrderByDescending(b => b.Status.CompletedAt))
        {
            if (!connection.HasCheckpoint(vm.Id, candidate.Status.Checkpoint!)) continue;
            parent = candidate;
            break;
        }
        var kind = backup.Spec.Kind ?? (parent is null ? BackupKind.Full : BackupKind.Incremental);
        if (kind == BackupKind.Incremental && parent is null)
            throw new BackupException($"VM '{vm.Name}' has no checkpoint left from an earlier backup (it was restored or recreated since); take a full backup.");
        if (kind == BackupKind.Full) parent = null;
        var checkpoint = CheckpointName(backup.Id);
        // Recorded as running (and, until the agent has answered, as no more than crash-consistent) before the job begins.
        await writer.WriteAsync(s => s with { Phase = BackupPhase.Running, Kind = kind, Method = LibvirtMethod, File = file, ParentId = parent?.Id,
            Checkpoint = checkpoint, StartedAt = time.GetUtcNow().UtcDateTime, Source = source,
            Consistency = BackupConsistency.Say(BackupConsistency.Crash, "the portal stopped before it learned whether the guest agent froze the filesystems") }, ct);
        _followed[backup.Id] = true;
        var consistency = await Task.Run(() => BeginFrozen(connection, vm.Id, () => connection.BeginBackup(vm.Id, Disk, file, parent?.Status.Checkpoint, checkpoint)), ct);
        await writer.WriteAsync(s => s with { Consistency = consistency }, ct);
        return FastPoll;
    }

    /// <summary>
    /// Begins the job with the guest's filesystems frozen by its agent, when one answers: the job's point in time is when
    /// it begins, so the freeze lasts only that long (thawed at once, also when the job could not begin). Says which
    /// consistency the backup got, for its record.
    /// </summary>
    private string BeginFrozen(LibvirtConnection connection, Guid vmId, Action begin)
    {
        int frozen;
        try
        {
            frozen = connection.FreezeFilesystems(vmId);
        }
        catch (LibvirtException e)
        {
            begin();
            return BackupConsistency.Say(BackupConsistency.Crash, $"no guest agent answered: {e.Message}; the disk as a power cut would leave it");
        }
        try
        {
            begin();
        }
        finally
        {
            Thaw(connection, vmId);
        }
        return frozen > 0
            ? BackupConsistency.Say(BackupConsistency.Filesystem, $"the guest agent froze {frozen} filesystem(s) while the backup began")
            : BackupConsistency.Say(BackupConsistency.Crash, "the guest agent answered but had no filesystem to freeze");
    }

    /// <summary>Best effort: a guest left frozen blocks its writes, so a failure is logged loudly, never thrown past a backup.</summary>
    private void Thaw(LibvirtConnection connection, Guid vmId)
    {
        try
        {
            connection.ThawFilesystems(vmId);
        }
        catch (LibvirtException e)
        {
            logger.LogError("Could not thaw the filesystems of VM {Vm} after starting a backup: {Message}", vmId, e.Message);
        }
    }

    private async Task<TimeSpan?> FollowAsync(Resource<BackupSpec, BackupStatus> backup, KindReader reader, StatusWriter<BackupStatus> writer, CancellationToken ct)
    {
        var file = backup.Status.File!;
        if (backup.Status.Method == CopyMethod)
        {
            if (!_copies.TryGetValue(backup.Id, out var copy))
                throw new BackupException("The portal stopped while this backup was being copied; the partial copy was removed.");
            if (!copy.Copy.IsCompleted)
            {
                var total = backup.Status.BytesTotal ?? new FileInfo(paths.DiskFor(backup.Spec.VmId)).Length;
                await writer.WriteAsync(s => s with { BytesTotal = total, BytesDone = (long)(total * copy.Percent / 100) }, ct);
                return Poll;
            }
            _copies.TryRemove(backup.Id, out _);
            await copy.Copy; // throws the copy's failure
            File.Move(file + ".tmp", file, overwrite: true);
            await CompleteAsync(backup, writer, ct);
            return null;
        }

        var host = hosts.Hosts.FirstOrDefault(h => h.IsLocal) ?? throw new BackupException("The portal's own machine has no libvirt host any more.");
        // A backup begun by an earlier process may have stopped it between the freeze and the thaw: thaw (a no-op otherwise).
        if (_followed.TryAdd(backup.Id, true))
        {
            bool active;
            using (var domain = host.Connection.FindDomain(backup.Spec.VmId)) active = domain?.IsActive == true;
            if (active) await Task.Run(() => Thaw(host.Connection, backup.Spec.VmId), ct);
        }
        var job = await Task.Run(() => host.Connection.GetBackupJob(backup.Spec.VmId), ct);
        switch (job?.Phase)
        {
            case BackupJobPhase.Running:
                await writer.WriteAsync(s => s with { BytesDone = (long?)job.BytesDone, BytesTotal = (long?)job.BytesTotal }, ct);
                return backup.Status.StartedAt is { } started && time.GetUtcNow().UtcDateTime - started < FastPollFor ? FastPoll : Poll;
            case BackupJobPhase.Completed when File.Exists(file):
                if (backup.Status.ParentId is { } parentId)
                {
                    // The incremental file holds only the changed blocks; naming its parent as backing makes it the whole disk.
                    var parentFile = (await reader.FindAsync<BackupSpec, BackupStatus>(Kinds.Backups, parentId, ct))?.Status.File
                                     ?? files.FileFor(backup.Spec.VmId, parentId);
                    await QemuImg.RebaseUnsafeAsync(file, parentFile, "qcow2", ct);
                }
                await writer.WriteAsync(s => s with { BytesDone = (long?)job.BytesTotal ?? s.BytesDone, BytesTotal = (long?)job.BytesTotal ?? s.BytesTotal }, ct);
                await CompleteAsync(backup, writer, ct);
                return null;
            default:
                throw new BackupException(job?.Error is { } error ? $"The backup job failed: {error}"
                    : "The backup job is gone (the VM stopped, or the portal restarted while it ran and it did not complete).");
        }
    }

    private async Task CompleteAsync(Resource<BackupSpec, BackupStatus> backup, StatusWriter<BackupStatus> writer, CancellationToken ct)
    {
        var file = backup.Status.File!;
        var sha = await BackupFiles.Sha256Async(file, ct);
        var size = new FileInfo(file).Length;
        await writer.WriteAsync(s => s with { Phase = BackupPhase.Completed, Sha256 = sha, SizeBytes = size, CompletedAt = time.GetUtcNow().UtcDateTime, Error = null }, ct);
    }

    /// <summary>A failed backup is never left looking usable: its partial file and its checkpoint go.</summary>
    private async Task FailAsync(Resource<BackupSpec, BackupStatus> backup, StatusWriter<BackupStatus> writer, string error, CancellationToken ct)
    {
        logger.LogWarning("Backup {Backup} failed: {Error}", backup.Id, error);
        DeleteFiles(backup);
        DropCheckpoint(backup);
        await writer.WriteAsync(s => s with { Phase = BackupPhase.Failed, Error = error, CompletedAt = time.GetUtcNow().UtcDateTime, Sha256 = null, SizeBytes = null }, ct);
    }

    private async Task RemoveAsync(Resource<BackupSpec, BackupStatus> backup, ResourceStore store, CancellationToken ct)
    {
        if (backup.Status is { Phase: BackupPhase.Running, Method: LibvirtMethod } && hosts.Hosts.FirstOrDefault(h => h.IsLocal) is { } host)
        {
            try
            {
                if (host.Connection.GetBackupJob(backup.Spec.VmId) is { Phase: BackupJobPhase.Running }) host.Connection.AbortJob(backup.Spec.VmId);
            }
            catch (LibvirtException e)
            {
                logger.LogWarning("Could not abort the backup job of {Backup}: {Message}", backup.Id, e.Message);
            }
        }
        DeleteFiles(backup);
        DropCheckpoint(backup);
        await store.DeleteAsync(Kinds.Backups.Name, backup.Id, null, Actor.System, ct);
    }

    private void DeleteFiles(Resource<BackupSpec, BackupStatus> backup)
    {
        var file = backup.Status.File ?? files.FileFor(backup.Spec.VmId, backup.Id);
        // File.Delete throws when the directory is missing; a backup whose files are already gone must still be deletable.
        if (!Directory.Exists(Path.GetDirectoryName(file))) return;
        File.Delete(file);
        File.Delete(file + ".tmp");
    }

    /// <summary>Best effort: a checkpoint left behind only costs a bitmap; its bitmap merges into the previous one's.</summary>
    private void DropCheckpoint(Resource<BackupSpec, BackupStatus> backup)
    {
        if (backup.Status.Checkpoint is not { } name || hosts.Hosts.FirstOrDefault(h => h.IsLocal) is not { } host) return;
        try
        {
            host.Connection.DeleteCheckpoint(backup.Spec.VmId, name);
        }
        catch (Exception e) when (e is LibvirtException or HostUnavailableException)
        {
            try
            {
                host.Connection.DeleteCheckpoint(backup.Spec.VmId, name, metadataOnly: true);
            }
            catch (Exception again) when (again is LibvirtException or HostUnavailableException)
            {
                logger.LogWarning("Could not delete checkpoint {Checkpoint}: {Message}", name, again.Message);
            }
        }
    }
}

/// <summary>Why a backup could not be taken, in a sentence for its status.</summary>
public sealed class BackupException(string message) : Exception(message);
