using KrautPortal.Features.Store;

namespace KrautPortal.Features.Reconciling;

/// <summary>
/// Connects every reconciler to the other replicas: a change another replica made queues the object as a local change
/// would, a request forwarded to this replica queues it to act, and keys taken over (or changes possibly missed) make
/// every reconciler look at everything. With one portal nothing comes from outside and this only registers.
/// </summary>
public sealed class ReconcileLoops
{
    private readonly Dictionary<string, ReconcileLoop> _loops = [];
    private readonly Lock _lock = new();

    public ReconcileLoops(IReconcileOwnership ownership, ChangeFeed feed)
    {
        Ownership = ownership;
        ownership.Gained += () => Each(l => l.LookAgain());
        ownership.Forwarded += (name, id) =>
        {
            ReconcileLoop? loop;
            lock (_lock) loop = _loops.GetValueOrDefault(name);
            loop?.Enqueue(id, ensure: true);
        };
        // Never disposed: lives as long as the process, like the feed.
        feed.Subscribe(OnChange);
    }

    public IReconcileOwnership Ownership { get; }

    /// <summary>Called once per reconciler at registration.</summary>
    public void Attach(ReconcileLoop loop)
    {
        loop.Ownership = Ownership;
        lock (_lock) _loops[loop.GetType().Name] = loop;
    }

    /// <summary>On the writer's (or listener's) thread: only queueing.</summary>
    private void OnChange(ResourceChange change)
    {
        if (change.IsEverything) Each(l => l.LookAgain());
        else if (change.FromOtherReplica) Each(l =>
        {
            if (l.WatchedKind == change.Kind) l.Enqueue(change.Id, ensure: false);
        });
    }

    private void Each(Action<ReconcileLoop> action)
    {
        List<ReconcileLoop> loops;
        lock (_lock) loops = [.. _loops.Values];
        foreach (var loop in loops) action(loop);
    }
}
