using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace KrautPortal.Features.Reconciling;

/// <summary>
/// The reconcile loops' instruments, tagged with the reconciler's type name. Plain System.Diagnostics.Metrics, so this
/// layer knows nothing of who exports them (Features/Metrics publishes every "Kraut" meter as kraut_ + the instrument's name).
/// </summary>
public static class ReconcileMeter
{
    /// <summary>Every meter Kraut exports is named so; Prometheus sees "kraut_" + the instrument's name.</summary>
    public const string Name = "Kraut";
    public const string ReconcilerTag = "reconciler";

    private static readonly Meter Meter = new(Name);
    private static readonly ConcurrentDictionary<ReconcileLoop, byte> Running = new();

    /// <summary>Read when exported, from the running loops' queues themselves: nothing to keep in step.</summary>
    public static readonly ObservableGauge<int> QueueLength = Meter.CreateObservableGauge(
        "reconcile_queue_length", () => Running.Keys.Select(l => new Measurement<int>(l.QueueLength, Tag(l))),
        description: "Objects waiting in a reconciler's queue.");

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "reconcile_duration_seconds", "s", "How long one reconcile of one object took, failed ones included.");

    public static readonly Counter<long> Errors = Meter.CreateCounter<long>(
        "reconcile_errors_total", description: "Reconciles that failed (each is retried with back-off).");

    public static KeyValuePair<string, object?> Tag(ReconcileLoop loop) => new(ReconcilerTag, loop.GetType().Name);

    /// <summary>Reports <paramref name="loop"/>'s queue until the returned handle is disposed (the loop stopped).</summary>
    public static IDisposable Track(ReconcileLoop loop)
    {
        Running[loop] = 0;
        return new Untrack(loop);
    }

    private sealed class Untrack(ReconcileLoop loop) : IDisposable
    {
        public void Dispose() => Running.TryRemove(loop, out _);
    }
}
