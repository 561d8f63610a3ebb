using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms;

/// <summary>Carries a VM's status through one reconcile and stores each step as soon as it is true.</summary>
public sealed class StatusWriter(ResourceStore store, Guid id, VmStatus initial)
{
    public VmStatus Current { get; private set; } = initial;

    /// <summary>
    /// Stores the changed status. <c>ObservedAt</c> alone is not a change: a poll that saw nothing new writes
    /// nothing, so quiet VMs cost no database writes and open pages no refreshes.
    /// </summary>
    public async Task WriteAsync(Func<VmStatus, VmStatus> change, CancellationToken ct)
    {
        var next = change(Current);
        if (next with { ObservedAt = Current.ObservedAt } == Current) return;
        Current = next;
        await store.SetStatusAsync(Kinds.Vms.Name, id, KrautJson.Serialize(next), ct);
    }
}
