using Prometheus;

namespace KrautPortal.Features.Metrics;

/// <summary>
/// A labelled gauge or counter that shows exactly the series of the latest reading: series that are gone (a deleted
/// VM, a removed disk) are removed, not left at their last value.
/// </summary>
public sealed class SeriesSet
{
    private readonly Gauge? _gauge;
    private readonly Counter? _counter;
    private readonly HashSet<string> _seen = [];

    private SeriesSet(Gauge? gauge, Counter? counter)
    {
        _gauge = gauge;
        _counter = counter;
    }

    public static SeriesSet ForGauge(IMetricFactory factory, string name, string help, params string[] labels) =>
        new(factory.CreateGauge(name, help, labels), null);

    /// <summary>
    /// A counter fed with a cumulative reading (libvirt's counters): exported with counter semantics; a reading below
    /// the last one (the domain restarted and its counters began again) starts the series afresh, as a reset.
    /// </summary>
    public static SeriesSet ForCounter(IMetricFactory factory, string name, string help, params string[] labels) =>
        new(null, factory.CreateCounter(name, help, labels));

    /// <summary>Starts a reading: every series not <see cref="Set"/> until <see cref="EndReading"/> is removed then.</summary>
    public void BeginReading() => _seen.Clear();

    public void Set(double? value, params string[] labels)
    {
        if (value is not { } v) return;
        _seen.Add(Key(labels));
        if (_gauge is not null)
        {
            _gauge.WithLabels(labels).Set(v);
            return;
        }
        var child = _counter!.WithLabels(labels);
        if (v < child.Value)
        {
            _counter.RemoveLabelled(labels);
            child = _counter.WithLabels(labels);
        }
        child.IncTo(v);
    }

    public void EndReading()
    {
        var all = (_gauge?.GetAllLabelValues() ?? _counter!.GetAllLabelValues()).ToList();
        foreach (var labels in all)
        {
            if (_seen.Contains(Key(labels))) continue;
            if (_gauge is not null) _gauge.RemoveLabelled(labels);
            else _counter!.RemoveLabelled(labels);
        }
    }

    private static string Key(string[] labels) => string.Join('\u0001', labels);
}
