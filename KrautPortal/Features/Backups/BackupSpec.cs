namespace KrautPortal.Features.Backups;

/// <summary>full: every block of the disk; incremental: the blocks changed since the previous backup's checkpoint.</summary>
public enum BackupKind { Full, Incremental }

public enum BackupPhase { Pending, Running, Completed, Failed }

/// <summary>
/// A backup of one VM's disk, taken once when the record is made. The portal chooses where it is written
/// (<c>backups/&lt;vmId&gt;/&lt;backupId&gt;.qcow2</c> under the data directory); nothing of it comes from the request.
/// </summary>
public sealed record BackupSpec
{
    public required Guid VmId { get; init; }

    /// <summary>Null: incremental when the VM has a usable checkpoint from an earlier backup, otherwise full.</summary>
    public BackupKind? Kind { get; init; }

    public string? Note { get; init; }
}

/// <summary>What the VM was when it was backed up: enough to make a new VM from the backup after the VM is gone.</summary>
public sealed record BackupSource(Guid ImageId, Guid MachineTypeId, int Vcpus, int MemoryMiB, int DiskGiB, IReadOnlyList<Guid> NetworkIds);

public sealed record BackupStatus
{
    public BackupPhase Phase { get; init; } = BackupPhase.Pending;

    /// <summary>The kind actually taken (the spec may leave it to the portal).</summary>
    public BackupKind? Kind { get; init; }

    /// <summary>libvirt: a backup job of the running guest; qemu-img: a copy of the stopped VM's disk.</summary>
    public string? Method { get; init; }
    public long? BytesDone { get; init; }
    public long? BytesTotal { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? CompletedAt { get; init; }

    /// <summary>The backup file's size on disk (an incremental one holds only the changed blocks).</summary>
    public long? SizeBytes { get; init; }

    /// <summary>SHA-256 of the backup file as completed; checked again before a restore reads it.</summary>
    public string? Sha256 { get; init; }

    /// <summary>The backup an incremental one builds on (its blocks fill what this one did not copy).</summary>
    public Guid? ParentId { get; init; }

    /// <summary>The libvirt checkpoint (a dirty bitmap in the VM's disk) made with this backup; the next incremental starts from it.</summary>
    public string? Checkpoint { get; init; }

    /// <summary>
    /// filesystem-consistent: the guest agent froze the guest's filesystems while the job began;
    /// crash-consistent: the disk as a power cut would leave it (no guest agent answered, or it froze nothing);
    /// consistent: the VM was stopped.
    /// </summary>
    public string? Consistency { get; init; }

    /// <summary>The file on this machine, chosen by the portal.</summary>
    public string? File { get; init; }
    public BackupSource? Source { get; init; }
    public string? Error { get; init; }
}
