namespace KrautPortal.Features.Vms.Pages;

/// <summary>
/// What deleting a VM does to a higher feature's records (its snapshots go with it, its backups stay), so the VM page's
/// delete confirmation says so without naming those features. Null when the VM has none of them.
/// </summary>
public interface IVmDeleteNote
{
    Task<string?> DescribeAsync(Guid vmId, CancellationToken ct);
}
