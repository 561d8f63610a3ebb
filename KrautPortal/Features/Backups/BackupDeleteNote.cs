using KrautPortal.Features.Store;
using KrautPortal.Features.Vms.Pages;

namespace KrautPortal.Features.Backups;

/// <summary>
/// Backups are files of their own and outlive the VM unless the person deleting it chooses otherwise: a kept one can
/// still be restored into a new VM. Chosen, they are deleted as that person, newest first (an incremental before the
/// backup it builds on).
/// </summary>
public sealed class BackupDeleteNote(KindReader reader, ResourceService<BackupSpec, BackupStatus> backups) : IVmDeleteNote
{
    public async Task<VmDeleteNote?> DescribeAsync(Guid vmId, CancellationToken ct)
    {
        var count = (await BackupRules.OfVmAsync(reader, vmId, ct)).Count;
        if (count == 0) return null;
        var them = count == 1 ? "it" : "them";
        return new VmDeleteNote(
            $"It has {(count == 1 ? "a backup" : $"{count} backups")}, kept unless you tick below: restore or delete {them} later on the Backups page.",
            count == 1 ? "Delete its backup too" : $"Delete its {count} backups too",
            token => DeleteAllAsync(vmId, token));
    }

    private async Task DeleteAllAsync(Guid vmId, CancellationToken ct)
    {
        var all = await BackupRules.OfVmAsync(reader, vmId, ct);
        foreach (var backup in all.OrderByDescending(b => b.Status.CompletedAt ?? b.CreatedAt))
            await backups.DeleteAsync(backup.Id, null, ct);
    }
}
