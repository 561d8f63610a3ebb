using System.Collections.Concurrent;
using KrautPortal.Features.Reconciling;

namespace KrautPortal.Features.Failures;

/// <summary>
/// The last error of every object whose reconcile keeps failing, in memory (a restart retries everything anyway, and
/// a pass that fails again is back here within seconds); an object leaves when a pass succeeds.
/// </summary>
public sealed class ReconcileErrorRegistry(TimeProvider time) : IReconcileErrors
{
    public sealed record Entry(string Reconciler, Guid Id, string Message, int Attempts, DateTime Since);

    private readonly ConcurrentDictionary<Guid, Entry> _entries = new();

    /// <summary>Raised after an object starts or stops failing (not on every retry), for live badges.</summary>
    public event Action? Changed;

    public IReadOnlyCollection<Entry> Current => _entries.Values.ToList();

    public void Failed(string reconciler, Guid id, string message, int attempt)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var isNew = false;
        _entries.AddOrUpdate(id, _ =>
        {
            isNew = true;
            return new Entry(reconciler, id, message, attempt, now);
        }, (_, old) =>
        {
            isNew = false;
            return old with { Message = message, Attempts = attempt };
        });
        if (isNew) Changed?.Invoke();
    }

    public void Succeeded(string reconciler, Guid id)
    {
        if (_entries.TryRemove(id, out _)) Changed?.Invoke();
    }
}
