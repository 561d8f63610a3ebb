using Prometheus;

namespace KrautPortal.Features.Metrics;

/// <summary>
/// This portal's own prometheus-net registry: the HTTP request metrics, .NET's basics, every instrument of a
/// System.Diagnostics.Metrics meter named "Kraut" (reconcile loops, image throughput), and the figures read at scrape time
/// (<see cref="IScrapeCollector"/>). Not the library's static default registry: two portals in one process (the
/// tests) each export their own.
/// </summary>
public sealed class KrautMetricsRegistry
{

    public KrautMetricsRegistry(IEnumerable<IScrapeCollector> collectors, ILogger<KrautMetricsRegistry> logger)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        Factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        DotNetStats.Register(Registry);
        // Never disposed: the adapter's disposal also drops the instrument names every other adapter in the process
        // shares (prometheus-net 8.2 keeps them in a static table), which would silence the next portal's new series.
        MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            // Without it the adapter writes into the library's static default registry, ignoring Registry.
            MetricFactory = Factory,
            InstrumentFilterPredicate = i => i.Meter.Name == "Kraut",
            // The adapter forgets a series unchanged this long (a day at most); Kraut's tags are few and fixed
            // (reconciler names), so a quiet error counter should stay rather than vanish and come back from zero.
            MetricsExpireAfter = TimeSpan.FromDays(1),
            ResolveHistogramBuckets = i => i.Name.StartsWith("image_", StringComparison.Ordinal) ? LongBuckets : ShortBuckets,
        });
        foreach (var collector in collectors)
        {
            collector.Register(Factory);
            Registry.AddBeforeCollectCallback(async ct =>
            {
                try
                {
                    await collector.CollectAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One source failing leaves its last figures; the rest of the scrape still answers.
                    logger.LogWarning(e, "Metrics: {Collector} failed", collector.GetType().Name);
                }
            });
        }
    }

    /// <summary>Reconciles: milliseconds to a minute.</summary>
    private static readonly double[] ShortBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Uploads and conversions: a tenth of a second to an hour.</summary>
    private static readonly double[] LongBuckets = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

    public CollectorRegistry Registry { get; }

    public IMetricFactory Factory { get; }

}

/// <summary>Figures read when Prometheus scrapes (object counts, the usage sampler's snapshot, capacity): never a libvirt call.</summary>
public interface IScrapeCollector
{
    /// <summary>Creates its metrics, once.</summary>
    void Register(IMetricFactory factory);

    /// <summary>Brings them up to date; called before every scrape, and must stay fast.</summary>
    Task CollectAsync(CancellationToken ct);
}
