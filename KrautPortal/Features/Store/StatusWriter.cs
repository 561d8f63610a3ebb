namespace KrautPortal.Features.Store;

/// <summary>
/// The one way status is written: carries one object's status through a pass of work and stores each change as soon
/// as it is true. A change that changes nothing writes nothing, so quiet objects cost no database writes and open pages
/// no refreshes; a written one reaches open pages through the change feed (<see cref="ResourceStore.SetStatusAsync"/>).
/// </summary>
/// <param name="unchanged">
/// Whether (next, current) is no change worth storing; default: equal records. A kind may ignore fields that move on
/// every observation (a VM's <c>ObservedAt</c>).
/// </param>
public class StatusWriter<TStatus>(ResourceStore store, KindInfo kind, Guid id, TStatus initial, Func<TStatus, TStatus, bool>? unchanged = null)
{
    private readonly Func<TStatus, TStatus, bool> _unchanged = unchanged ?? EqualityComparer<TStatus>.Default.Equals;

    public TStatus Current { get; private set; } = initial;

    public async Task WriteAsync(Func<TStatus, TStatus> change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        var next = change(Current);
        if (_unchanged(next, Current)) return;
        Current = next;
        await store.SetStatusAsync(kind.Name, id, KrautJson.Serialize(next), ct);
    }
}
