using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms;

/// <summary>
/// Where a VM's disk comes from when its spec names <see cref="VmSpec.RestoreFrom"/> (a backup): published here for the
/// VM's rules and builder, answered by the Backups feature above (docs/architecture.md).
/// </summary>
public interface IVmRestoreSource
{
    /// <summary>Why <paramref name="actor"/> cannot make a VM from backup <paramref name="backupId"/>; null when they can.</summary>
    Task<string?> ProblemAsync(Guid backupId, Actor actor, CancellationToken ct);

    /// <summary>Writes the backup (its chain flattened) as a new standalone qcow2 at <paramref name="target"/>.</summary>
    Task WriteDiskAsync(Guid backupId, string target, CancellationToken ct);
}
