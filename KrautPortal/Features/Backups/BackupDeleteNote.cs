using KrautPortal.Features.Store;
using KrautPortal.Features.Vms.Pages;

namespace KrautPortal.Features.Backups;

/// <summary>Backups are files of their own: they outlive the VM, so its owner can still restore one into a new VM.</summary>
public sealed class BackupDeleteNote(KindReader reader) : IVmDeleteNote
{
    public async Task<string?> DescribeAsync(Guid vmId, CancellationToken ct)
    {
        var count = (await BackupRules.OfVmAsync(reader, vmId, ct)).Count;
        return count == 0 ? null
            : $"Its {(count == 1 ? "backup stays" : $"{count} backups stay")}: restore or delete {(count == 1 ? "it" : "them")} on the Backups page.";
    }
}
