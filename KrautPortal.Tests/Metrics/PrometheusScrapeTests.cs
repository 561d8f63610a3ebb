using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Images;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Metrics;

/// <summary>Debian's Prometheus scrapes a running portal with the metrics token: the text parses and the figures are right.</summary>
public sealed class PrometheusScrapeTests(TokenMetricsPortal portal) : IClassFixture<TokenMetricsPortal>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

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

        // The usage sampler's snapshot of a running VM, under the libvirt exporter's names with Kraut's labels.
        await portal.Api.WaitForPhaseAsync(ids[0], "running", Wait);
        var owner = (await portal.Api.GetVmAsync(ids[0]))!.Value.GetProperty("owner").GetString()!;
        var selector = $"{{job=\"kraut\",vm_id=\"{ids[0]}\",uuid=\"{ids[0]}\",owner=\"{owner}\"}}";
        await Eventually.WaitUntilAsync(async () => await ValueAsync(prometheus, "libvirt_domain_info_state" + selector) == 1, Wait,
            "the running VM's libvirt_domain_info_state to be 1 (running)");
        // The test driver reports a domain's state only; the counters are checked on a real guest (DomainMetricsRealGuestTests).

        // The host, from the capacity figures.
        Assert.Equal(1, await ValueAsync(prometheus, $"kraut_host_up{{host=\"{KrautAppFactory.TestDriver}\"}}"));
        Assert.True(await ValueAsync(prometheus, "kraut_host_vcpus{kind=\"physical\"}") > 0, "the host's CPUs are exported");
        Assert.True(await ValueAsync(prometheus, "kraut_host_vcpus{kind=\"allocated\"}") >= ids.Count, "the VMs' vCPUs count as allocated");

        // One object's URL is counted under its route template: an id never becomes a label value.
        var endpoints = (await prometheus.QueryAsync("sum by (endpoint) (http_requests_received_total{job=\"kraut\"})"))
            .Select(s => s.Labels.GetValueOrDefault("endpoint", "")).ToList();
        Assert.Contains(endpoints, e => e.StartsWith("/api/v1/vms/{", StringComparison.Ordinal));
        Assert.DoesNotContain(endpoints, e => ids.Any(id => e.Contains(id.ToString(), StringComparison.OrdinalIgnoreCase)));
        var targets = await prometheus.TargetsAsync();
        Assert.Contains("\"health\":\"up\"", targets);
    }

    [Fact]
    public async Task AnUploadAndItsConversion_AreCountedInTheImageThroughput()
    {
        using var dir = new TempDir();
        var path = dir["disk.qcow2"];
        TestImages.QemuImg("create", "-q", "-f", "qcow2", path, "4M");
        var bytes = await File.ReadAllBytesAsync(path);
        var before = await ScrapeAsync();

        var id = await portal.Api.CreateAsync("images", new JsonObject
        {
            ["name"] = ApiClient.UniqueName("prom-img"),
            ["spec"] = new JsonObject { ["architecture"] = "x86_64" },
        });
        using (var put = await portal.Http.PutAsync($"/api/v1/images/{id}/content", new ByteArrayContent(bytes)))
            Assert.True(put.IsSuccessStatusCode, $"upload gave {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        await ImageArrival.ReadyAsync(portal.App, id);

        var after = await ScrapeAsync();
        Assert.True(Sample(after, "kraut_image_received_bytes_total") - Sample(before, "kraut_image_received_bytes_total") >= bytes.Length,
            "the upload's bytes are counted");
        Assert.True(Sample(after, "kraut_image_convert_duration_seconds_count") - Sample(before, "kraut_image_convert_duration_seconds_count") >= 1,
            "the conversion is counted");
        Assert.True(Sample(after, "kraut_image_converted_bytes_total") - Sample(before, "kraut_image_converted_bytes_total") >= bytes.Length,
            "the converted bytes are counted");
    }

    private async Task<string> ScrapeAsync()
    {
        using var http = new HttpClient { BaseAddress = portal.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenMetricsPortal.Token);
        return await http.GetStringAsync("/metrics");
    }

    /// <summary>A series without labels from the text format; 0 when it is not there yet.</summary>
    private static double Sample(string text, string name) =>
        text.Split('\n').Where(l => l.StartsWith(name + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(name.Length + 1)..], CultureInfo.InvariantCulture)).FirstOrDefault();

    internal static async Task<double?> ValueAsync(PrometheusServer prometheus, string query) =>
        await prometheus.QueryAsync(query) is [var only] ? only.Value : null;
}
