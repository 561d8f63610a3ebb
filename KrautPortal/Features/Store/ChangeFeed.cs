namespace KrautPortal.Features.Store;

public sealed record ResourceChange(string Kind, Guid Id)
{
    /// <summary>
    /// "Look at everything again": changes may have been missed (the connection that hears other replicas was down).
    /// </summary>
    public static readonly ResourceChange Everything = new("*", Guid.Empty);

    public bool IsEverything => Kind == Everything.Kind;

    /// <summary>Written by another portal replica and heard through the database (<see cref="IReplicaBroadcast"/>).</summary>
    public bool FromOtherReplica { get; init; }
}

/// <summary>
/// In-process notifications of changed objects (spec or status), so open pages refresh without reloading.
/// Subscribers must not block: they get the event on the writer's thread.
/// </summary>
public sealed class ChangeFeed
{
    private readonly Lock _lock = new();
    private ImmutableHandlers _handlers = new([]);

    public IDisposable Subscribe(Action<ResourceChange> handler)
    {
        lock (_lock) _handlers = new([.. _handlers.Items, handler]);
        return new Unsubscriber(this, handler);
    }

    public void Publish(ResourceChange change)
    {
        foreach (var handler in _handlers.Items)
        {
            try { handler(change); }
            catch (ObjectDisposedException) { /* a page closed while we were telling it */ }
        }
    }

    private void Remove(Action<ResourceChange> handler)
    {
        lock (_lock) _handlers = new(_handlers.Items.Where(h => h != handler).ToArray());
    }

    private sealed record ImmutableHandlers(Action<ResourceChange>[] Items);

    private sealed class Unsubscriber(ChangeFeed feed, Action<ResourceChange> handler) : IDisposable
    {
        public void Dispose() => feed.Remove(handler);
    }
}
