using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms;

/// <summary>Carries a VM's status through one reconcile and stores each step as soon as it is true.</summary>
public sealed class StatusWriter(ResourceStore store, Guid id, VmStatus initial, TimeProvider time)
{
    public VmStatus Current { get; private set; } = initial;

    public async Task WriteAsync(Func<VmStatus, VmStatus> change, CancellationToken ct)
    {
        var next = change(Current);
        if (next == Current) return;
        Current = next;
        await store.SetStatusAsync(Kinds.Vms.Name, id, KrautJson.Serialize(next), ct);
    }

    public DateTime Now => time.GetUtcNow().UtcDateTime;
}
