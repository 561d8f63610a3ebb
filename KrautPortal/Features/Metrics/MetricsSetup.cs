using Prometheus;

namespace KrautPortal.Features.Metrics;

/// <summary>Prometheus metrics (prometheus-net): the registry, its scrape-time collectors, request metrics and <c>/metrics</c>.</summary>
public static class MetricsSetup
{
    public static IServiceCollection AddKrautMetrics(this IServiceCollection services, IConfiguration config)
    {
        services.AddSingleton(MetricsAccess.From(config));
        services.AddSingleton<KrautMetricsRegistry>();
        services.AddSingleton<IScrapeCollector, ObjectCountCollector>();
        services.AddSingleton<IScrapeCollector, DomainCollector>();
        services.AddSingleton<IScrapeCollector, HostCapacityCollector>();
        return services;
    }

    /// <summary>
    /// Right after the front door (the client's address and the plain path are known, routing has picked the endpoint)
    /// and before sign-in: request metrics for everything after it, and <c>/metrics</c> itself.
    /// </summary>
    public static IApplicationBuilder UseKrautMetrics(this IApplicationBuilder app)
    {
        var registry = app.ApplicationServices.GetRequiredService<KrautMetricsRegistry>();
        app.UseHttpMetrics(o =>
        {
            o.SetMetricFactory(registry.Factory);
            // The endpoint label is the route template (/api/v1/vms/{id}), never the path: bounded however many ids.
            o.ReduceStatusCodeCardinality();
            o.CaptureMetricsUrl = false;
        });
        app.Map(MetricsEndpoint.Path, branch => branch.Run(MetricsEndpoint.ServeAsync));
        return app;
    }
}
