using KrautPortal.Features.Store;
using Prometheus;

namespace KrautPortal.Features.Metrics;

/// <summary><c>kraut_objects{kind, phase}</c>: how many objects of each kind are in each phase (one grouped read).</summary>
public sealed class ObjectCountCollector(IServiceScopeFactory scopes) : IScrapeCollector
{
    private SeriesSet _objects = default!;

    public void Register(IMetricFactory factory) =>
        _objects = SeriesSet.ForGauge(factory, "kraut_objects", "Objects per kind and phase (phase empty for kinds without one), everyone's, system objects included.", "kind", "phase");

    public async Task CollectAsync(CancellationToken ct)
    {
        IReadOnlyList<KindPhaseCount> counts;
        await using (var scope = scopes.CreateAsyncScope())
        {
            counts = await scope.ServiceProvider.GetRequiredService<ResourceStore>().CountByKindAndPhaseAsync(ct);
        }
        // Two scrapes at once must not interleave one reading's removals with the other's values.
        lock (_objects)
        {
            _objects.BeginReading();
            foreach (var c in counts) _objects.Set(c.Count, c.Kind, c.Phase ?? "");
            _objects.EndReading();
        }
    }
}
