namespace KrautPortal.Features.Snapshots;

/// <summary>
/// A snapshot of one VM's disk (and, taken while it runs, its memory): an internal libvirt snapshot inside the VM's
/// qcow2 disk, named by this record's id. The record's name, metadata and history are the store's; the API records
/// the wish and <see cref="SnapshotReconciler"/> makes libvirt match.
/// </summary>
public sealed record SnapshotSpec
{
    public required Guid VmId { get; init; }
    public string? Description { get; init; }

    /// <summary>Save the running guest's memory too (a revert resumes it where it was). Absent: yes when the VM runs.</summary>
    public bool? IncludeMemory { get; init; }

    /// <summary>Bumped by each revert request; the reconciler reverts until its observed count catches up.</summary>
    public long RevertGeneration { get; init; }
}

public enum SnapshotPhase { Pending, Ready, Failed, Deleting }

/// <summary>What the reconciler found in libvirt for the snapshot.</summary>
public sealed record SnapshotStatus
{
    public SnapshotPhase Phase { get; init; } = SnapshotPhase.Pending;

    /// <summary>When libvirt took it (null until then).</summary>
    public DateTime? CreatedAt { get; init; }

    /// <summary>The saved memory (QEMU's vm-state-size) when the VM's disk is on this machine and qemu-img could tell.</summary>
    public long? SizeBytes { get; init; }

    /// <summary>The snapshot this one was taken on top of (its parent in libvirt's tree), when that is a Kraut snapshot.</summary>
    public Guid? ParentId { get; init; }
    public bool MemoryIncluded { get; init; }

    /// <summary>How it is stored; Kraut takes only <c>internal</c> snapshots (docs/architecture.md, "Snapshots").</summary>
    public string Mechanism { get; init; } = SnapshotCapabilities.Internal;

    /// <summary>The host whose libvirt holds it.</summary>
    public string? Host { get; init; }
    public string? Error { get; init; }

    /// <summary>The revert requests carried out (<see cref="SnapshotSpec.RevertGeneration"/>), and when the last one was.</summary>
    public long ObservedRevertGeneration { get; init; }
    public DateTime? RevertedAt { get; init; }
}
