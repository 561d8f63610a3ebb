using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

// Push-mode backups (virDomainBackupBegin) with checkpoints (dirty bitmaps in the qcow2 disk) for incremental ones.
public sealed partial class LibvirtConnection
{
    private const int ErrNoDomainCheckpoint = 102; // VIR_ERR_NO_DOMAIN_CHECKPOINT
    private const uint CheckpointDeleteMetadataOnly = 1 << 1; // VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY
    private const int JobCompleted = 3; // VIR_DOMAIN_JOB_COMPLETED
    private const int JobFailed = 4; // VIR_DOMAIN_JOB_FAILED
    private const ulong JobOperationBackup = 9; // VIR_DOMAIN_JOB_OPERATION_BACKUP

    /// <summary>
    /// Starts a backup job of the running domain's <paramref name="disk"/> into <paramref name="targetFile"/> (a qcow2
    /// libvirt creates), of the blocks changed since checkpoint <paramref name="incrementalFrom"/> or all of them, and
    /// creates checkpoint <paramref name="newCheckpoint"/> in the same step, so no write falls between the two.
    /// Returns at once; <see cref="GetBackupJob"/> follows the job.
    /// </summary>
    public void BeginBackup(Guid uuid, string disk, string targetFile, string? incrementalFrom, string? newCheckpoint)
    {
        ThrowIfDisposed();
        using var domain = LookupDomainHandle(uuid);
        var xml = LibvirtError.TakeOwnedString(LibvirtNative.virDomainGetXMLDesc(domain, 0), "virDomainGetXMLDesc");
        var backup = DomainBackupXml.Backup(xml, disk, targetFile, incrementalFrom);
        var checkpoint = newCheckpoint is null ? null : DomainBackupXml.Checkpoint(xml, newCheckpoint, disk);
        LibvirtError.Check(LibvirtNative.virDomainBackupBegin(domain, backup, checkpoint, 0), "virDomainBackupBegin");
    }

    /// <summary>
    /// Asks the guest agent to freeze every filesystem of the running domain (its freeze hooks run first, so
    /// databases can flush); returns how many it froze. Throws <see cref="LibvirtException"/> when no agent answers
    /// (no channel, the agent not running or not responding within libvirt's few seconds). Each freeze must be
    /// followed by <see cref="ThawFilesystems"/>: the guest's writes to those filesystems block until then.
    /// </summary>
    public int FreezeFilesystems(Guid uuid) =>
        OnFilesystems(uuid, d => LibvirtNative.virDomainFSFreeze(d, IntPtr.Zero, 0, 0), "virDomainFSFreeze");

    /// <summary>Thaws the filesystems the guest agent froze; returns how many (0 when none were frozen).</summary>
    public int ThawFilesystems(Guid uuid) =>
        OnFilesystems(uuid, d => LibvirtNative.virDomainFSThaw(d, IntPtr.Zero, 0, 0), "virDomainFSThaw");

    /// <summary>A guest-agent call on every filesystem of the domain (no mount point list); how many it touched.</summary>
    private int OnFilesystems(Guid uuid, Func<DomainHandle, int> call, string operation)
    {
        ThrowIfDisposed();
        using var domain = LookupDomainHandle(uuid);
        return LibvirtError.Check(call(domain), operation);
    }

    /// <summary>The domain's running backup job's XML, or null when it runs none (or the domain is gone).</summary>
    public string? GetBackupXml(Guid uuid)
    {
        ThrowIfDisposed();
        using var domain = LibvirtNative.virDomainLookupByUUIDString(_handle, uuid.ToString("D"));
        if (domain.IsInvalid) return null;
        var xml = LibvirtNative.virDomainBackupGetXMLDesc(domain, 0);
        if (xml != IntPtr.Zero) return NativeStrings.TakeOwned(xml);
        // No job: libvirt says so with an error, which is the answer here (read to clear it from this thread).
        LibvirtError.Capture("virDomainBackupGetXMLDesc");
        return null;
    }

    /// <summary>
    /// The domain's backup job: running with its progress, or, once it ended, how (libvirt keeps the last completed
    /// job's statistics until the next job starts). Null when the domain is gone or ran no backup since it started.
    /// </summary>
    public BackupJobState? GetBackupJob(Guid uuid)
    {
        ThrowIfDisposed();
        using var domain = LibvirtNative.virDomainLookupByUUIDString(_handle, uuid.ToString("D"));
        if (domain.IsInvalid)
        {
            LibvirtError.Capture("virDomainLookupByUUIDString");
            return null;
        }
        var (type, current) = ReadTypedJobStats(domain, 0);
        if (type != JobNone && Operation(current) == JobOperationBackup) return State(BackupJobPhase.Running, current);
        if (type != JobNone) return null; // another job (a migration) runs: not ours
        var (lastType, last) = ReadTypedJobStats(domain, JobStatsCompleted | JobStatsKeepCompleted);
        if (Operation(last) != JobOperationBackup) return null;
        return lastType switch
        {
            JobCompleted => State(BackupJobPhase.Completed, last),
            JobFailed => State(BackupJobPhase.Failed, last),
            JobNone => null,
            _ => State(BackupJobPhase.Cancelled, last),
        };

        static ulong? Operation(Dictionary<string, object> stats) => stats.TryGetValue("operation", out var v) && v is ulong u ? u : null;
    }

    private const uint JobStatsKeepCompleted = 1 << 1; // VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED

    private static BackupJobState State(BackupJobPhase phase, Dictionary<string, object> stats) => new(phase,
        stats.TryGetValue("disk_processed", out var p) && p is ulong done ? done : null,
        stats.TryGetValue("disk_total", out var t) && t is ulong total ? total : null,
        stats.TryGetValue("errmsg", out var e) ? e as string : null);

    /// <summary>Aborts the domain's running job (a backup stops, leaving its target half-written for the caller to remove).</summary>
    public void AbortJob(Guid uuid)
    {
        ThrowIfDisposed();
        using var domain = LookupDomainHandle(uuid);
        LibvirtError.Check(LibvirtNative.virDomainAbortJob(domain), "virDomainAbortJob");
    }

    /// <summary>Whether the domain has checkpoint <paramref name="name"/>; false also when the domain is gone.</summary>
    public bool HasCheckpoint(Guid uuid, string name)
    {
        ThrowIfDisposed();
        using var domain = LibvirtNative.virDomainLookupByUUIDString(_handle, uuid.ToString("D"));
        if (domain.IsInvalid)
        {
            LibvirtError.Capture("virDomainLookupByUUIDString");
            return false;
        }
        using var checkpoint = LibvirtNative.virDomainCheckpointLookupByName(domain, name, 0);
        if (!checkpoint.IsInvalid) return true;
        var error = LibvirtError.Capture("virDomainCheckpointLookupByName");
        return error.Code == ErrNoDomainCheckpoint ? false : throw error;
    }

    /// <summary>How many checkpoints the domain has; 0 also when the domain is gone.</summary>
    public int CheckpointCount(Guid uuid)
    {
        ThrowIfDisposed();
        using var domain = LibvirtNative.virDomainLookupByUUIDString(_handle, uuid.ToString("D"));
        if (domain.IsInvalid)
        {
            LibvirtError.Capture("virDomainLookupByUUIDString");
            return 0;
        }
        return LibvirtError.Check(LibvirtNative.virDomainListAllCheckpoints(domain, IntPtr.Zero, 0), "virDomainListAllCheckpoints");
    }

    /// <summary>
    /// Deletes checkpoint <paramref name="name"/> (merging its bitmap into its parent's); with <paramref name="metadataOnly"/>
    /// only libvirt's record of it, for a disk that was replaced and has no bitmap any more. Absent is fine.
    /// </summary>
    public void DeleteCheckpoint(Guid uuid, string name, bool metadataOnly = false)
    {
        ThrowIfDisposed();
        using var domain = LibvirtNative.virDomainLookupByUUIDString(_handle, uuid.ToString("D"));
        if (domain.IsInvalid)
        {
            LibvirtError.Capture("virDomainLookupByUUIDString");
            return;
        }
        using var checkpoint = LibvirtNative.virDomainCheckpointLookupByName(domain, name, 0);
        if (checkpoint.IsInvalid)
        {
            var error = LibvirtError.Capture("virDomainCheckpointLookupByName");
            if (error.Code == ErrNoDomainCheckpoint) return;
            throw error;
        }
        LibvirtError.Check(LibvirtNative.virDomainCheckpointDelete(checkpoint, metadataOnly ? CheckpointDeleteMetadataOnly : 0), "virDomainCheckpointDelete");
    }

    /// <summary>The job's type and its integer and string statistics by field name.</summary>
    private static unsafe (int Type, Dictionary<string, object> Stats) ReadTypedJobStats(DomainHandle domain, uint flags)
    {
        LibvirtError.Check(LibvirtNative.virDomainGetJobStats(domain, out var type, out var parameters, out var count, flags), "virDomainGetJobStats");
        try
        {
            var result = new Dictionary<string, object>(StringComparer.Ordinal);
            var list = (VirTypedParameter*)parameters;
            for (var i = 0; i < count; i++)
            {
                if (ValueOf(ref list[i]) is { } value) result[FieldOf(ref list[i])] = value;
            }
            return (type, result);
        }
        finally
        {
            if (parameters != IntPtr.Zero) LibvirtNative.virTypedParamsFree(parameters, count);
        }
    }
}

public enum BackupJobPhase { Running, Completed, Failed, Cancelled }

/// <summary>A backup job as libvirt reports it: bytes copied of the total (null until QEMU knows), libvirt's message on failure.</summary>
public sealed record BackupJobState(BackupJobPhase Phase, ulong? BytesDone, ulong? BytesTotal, string? Error);
