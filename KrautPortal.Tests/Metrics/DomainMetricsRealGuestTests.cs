using System.Security.Cryptography;
using KrautPortal.Tests.Support;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Metrics;

/// <summary>
/// A real guest on libvirtd + QEMU, scraped by Debian's Prometheus: the usage sampler's figures come out under the libvirt
/// exporter's names with Kraut's labels, and go when the VM goes. The guest need not finish booting: QEMU runs its vCPUs
/// and reads its disk from the first second.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class DomainMetricsRealGuestTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private static readonly string Token = "metrics-" + RandomNumberGenerator.GetHexString(32, lowercase: true);

    private readonly KrautAppFactory _app = new(KrautAppFactory.SystemDriver, seedImage: "guest", settings: new Dictionary<string, string?>
    {
        ["Metrics:Token"] = Token,
        ["Usage:IntervalSeconds"] = "1",
    });

    private readonly Uri _baseAddress;
    private readonly HttpClient _http;
    private readonly KrautApi _api;

    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    private void Mark(string what) => _output.WriteLine($"{_clock.Elapsed.TotalSeconds:0.0} s {what}");

    public DomainMetricsRealGuestTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        _output = output;
        _app.UseKestrel(0);
        _app.StartServer();
        _baseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        _http = _app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = _baseAddress });
        _api = new KrautApi(_http);
        Mark("portal started");
    }

    public void Dispose()
    {
        Mark("disposing");
        _http.Dispose();
        _app.Dispose();
    }

    [Fact]
    public async Task ARunningGuest_IsExportedUnderTheLibvirtExportersNames_WithKrautsLabels_AndGoesWithItsVm()
    {
        var id = await _api.CreateVmAsync(Api.ApiClient.UniqueName("prom-guest"), memoryMiB: 256);
        Mark("vm created");
        await _api.WaitForPhaseAsync(id, "running", Wait);
        Mark("vm running");
        var owner = (await _api.GetVmAsync(id))!.Value.GetProperty("owner").GetString()!;
        await using var prometheus = await PrometheusServer.StartAsync(_baseAddress, Token);
        Mark("prometheus ready");
        var vm = $"vm_id=\"{id}\",uuid=\"{id}\",owner=\"{owner}\",host=\"{KrautAppFactory.SystemDriver}\"";

        async Task<double?> Value(string query) => await PrometheusScrapeTests.ValueAsync(prometheus, query);
        await Eventually.WaitUntilAsync(async () => await Value($"libvirt_domain_info_state{{{vm}}}") == 1, Wait,
            "the guest's state to be 1 (running)");
        await Eventually.WaitUntilAsync(async () => await Value($"libvirt_domain_info_cpu_time_seconds_total{{{vm}}}") > 0, Wait,
            "the guest's CPU time");
        await Eventually.WaitUntilAsync(async () => await Value($"sum(libvirt_domain_block_stats_read_bytes_total{{{vm}}})") > 0, Wait,
            "bytes read from the guest's disk");
        Assert.Equal(256 << 20, await Value($"libvirt_domain_info_maximum_memory_bytes{{{vm}}}"));
        Assert.True(await Value($"libvirt_domain_info_virtual_cpus{{{vm}}}") >= 1, "its vCPUs");
        Assert.NotNull(await Value($"libvirt_domain_memory_stats_rss_bytes{{{vm}}}"));
        Assert.True(await Value($"count(libvirt_domain_interface_stats_receive_bytes_total{{{vm},target_device=~\".+\"}})") >= 1,
            "its NIC's counters, named by the host-side device");
        Assert.Equal(1, await Value($"kraut_host_up{{host=\"{KrautAppFactory.SystemDriver}\"}}"));
        Assert.Equal(Environment.ProcessorCount, await Value($"kraut_host_vcpus{{host=\"{KrautAppFactory.SystemDriver}\",kind=\"physical\"}}"));

        Mark("all figures seen");
        await _api.DeleteVmAsync(id);
        await Eventually.WaitUntilAsync(async () => (await prometheus.QueryAsync($"libvirt_domain_info_state{{{vm}}}")).Count == 0, Wait,
            "the deleted VM's series to be gone");
        Mark("series gone");
    }
}
