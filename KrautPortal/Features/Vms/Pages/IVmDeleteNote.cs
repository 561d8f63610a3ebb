namespace KrautPortal.Features.Vms.Pages;

/// <summary>
/// What deleting a VM does to a higher feature's records (its snapshots go with it, its backups stay), so the VM page's
/// delete confirmation says so without naming those features; and, where there is something to decide, a choice the
/// person can tick (delete its backups too), carried out before the VM is deleted.
/// </summary>
public interface IVmDeleteNote
{
    /// <summary>Null when the VM has none of this feature's records.</summary>
    Task<VmDeleteNote?> DescribeAsync(Guid vmId, CancellationToken ct);
}

/// <param name="Text">One or two sentences for the confirmation.</param>
/// <param name="ChoiceLabel">A checkbox's label, unticked by default; null when there is nothing to choose.</param>
/// <param name="ApplyChoice">What ticking it does, run as the person deleting; it throws KrautProblemException on refusal.</param>
public sealed record VmDeleteNote(string Text, string? ChoiceLabel = null, Func<CancellationToken, Task>? ApplyChoice = null);
