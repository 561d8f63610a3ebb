using KrautPortal.Tests.Api;

namespace KrautPortal.Tests.Metrics;

/// <summary>Debian's Prometheus scrapes a running portal with the metrics token: the text parses and the figures are right.</summary>
public sealed class PrometheusScrapeTests(TokenMetricsPortal portal) : IClassFixture<TokenMetricsPortal>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Prometheus_ScrapesWithTheToken_UpIsOne_AndCountsTheVmsCreated_AndLabelsRequestsByRoute()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++) ids.Add(await portal.Api.CreateVmAsync(ApiClient.UniqueName("prom")));
        Assert.NotNull(await portal.Api.GetVmAsync(ids[0]));

        await using var prometheus = await PrometheusServer.StartAsync(portal.BaseAddress, TokenMetricsPortal.Token);

        // up is 1 only when the scrape succeeded and Prometheus parsed every line of the answer.
        await Eventually.WaitUntilAsync(async () => await ValueAsync(prometheus, "up{job=\"kraut\"}") == 1, Wait,
            "Prometheus to scrape the portal successfully");
        await Eventually.WaitUntilAsync(async () => await ValueAsync(prometheus, "sum(kraut_objects{kind=\"vms\"})") == ids.Count, Wait,
            $"kraut_objects to count {ids.Count} VMs");
        await Eventually.WaitUntilAsync(async () => await ValueAsync(prometheus, "sum(kraut_reconcile_duration_seconds_count{reconciler=\"VmReconciler\"})") >= ids.Count, Wait,
            "the VM reconciler's durations");

        // One object's URL is counted under its route template: an id never becomes a label value.
        var endpoints = (await prometheus.QueryAsync("sum by (endpoint) (http_requests_received_total{job=\"kraut\"})"))
            .Select(s => s.Labels.GetValueOrDefault("endpoint", "")).ToList();
        Assert.Contains(endpoints, e => e.StartsWith("/api/v1/vms/{", StringComparison.Ordinal));
        Assert.DoesNotContain(endpoints, e => ids.Any(id => e.Contains(id.ToString(), StringComparison.OrdinalIgnoreCase)));
        var targets = await prometheus.TargetsAsync();
        Assert.Contains("\"health\":\"up\"", targets);
    }

    private static async Task<double?> ValueAsync(PrometheusServer prometheus, string query) =>
        await prometheus.QueryAsync(query) is [var only] ? only.Value : null;
}
