using Bunit;
using KrautPortal.Features.Store;
using KrautPortal.Features.Usage;
using KrautPortal.Features.Usage.Pages;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Portal;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Usage;

/// <summary>The usage tab and the dashboard's usage components, rendered on real services with samples put in the database.</summary>
public sealed class UsagePagesTests : PortalTestContext, IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly PortalApp _app;

    public UsagePagesTests(PortalApp app) : base(app.Services) => _app = app;

    /// <summary>A VM of the signed-in administrator sampled every minute for the last ten minutes.</summary>
    private async Task<Guid> SampledVmAsync(string owner)
    {
        var vm = Guid.NewGuid();
        var now = DateTime.UtcNow;
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        db.UsageSamples.AddRange(Enumerable.Range(0, 10).Select(i => new UsageSampleRow
        {
            At = now.AddMinutes(i - 10),
            VmId = vm,
            Owner = owner,
            HostUri = "test:///default",
            Seconds = i == 0 ? 0 : 60,
            Vcpus = 2,
            MemoryMiB = 1024,
            CpuPercent = i == 0 ? null : 25 + i,
            MemoryUsedBytes = 300L << 20,
            DiskReadBytesPerSecond = i == 0 ? null : 2048,
            DiskWriteBytesPerSecond = i == 0 ? null : 4096,
            NetRxBytesPerSecond = i == 0 ? null : 1024,
            NetTxBytesPerSecond = i == 0 ? null : 512,
        }));
        await db.SaveChangesAsync();
        return vm;
    }

    private static Resource<VmSpec, VmStatus> Vm(Guid id, VmPhase phase) =>
        new(id, "vms", "usage-tab", "test-admin", [], new VmSpec { ImageId = Guid.NewGuid(), MachineTypeId = Guid.NewGuid() },
            new VmStatus { Phase = phase }, 1, DateTime.UtcNow, DateTime.UtcNow, null);

    [Fact]
    public async Task UsageTab_ShowsTheLatestFigures_AndFourCharts()
    {
        var vm = await SampledVmAsync("test-admin");

        var cut = Render<VmUsageTab>(p => p.Add(c => c.Vm, Vm(vm, VmPhase.Running)));

        cut.WaitForAssertion(() => Assert.Equal("34.0 %", cut.Find("[data-testid=usage-now-cpu] h6").TextContent.Trim()), Wait);
        Assert.Equal("300.0 MiB", cut.Find("[data-testid=usage-now-memory] h6").TextContent.Trim());
        Assert.Equal("2.0 KiB/s / 4.0 KiB/s", cut.Find("[data-testid=usage-now-disk] h6").TextContent.Trim());
        foreach (var chart in new[] { "cpu", "memory", "disk", "net" })
        {
            Assert.NotEmpty(cut.Find($"[data-testid=usage-chart-{chart}]").QuerySelectorAll("svg"));
        }
    }

    [Fact]
    public void UsageTab_WithoutSamples_SaysWhenTheFirstComes()
    {
        var cut = Render<VmUsageTab>(p => p.Add(c => c.Vm, Vm(Guid.NewGuid(), VmPhase.Running)));

        cut.WaitForAssertion(() => Assert.Contains("No samples yet: the first is taken within 60 s", cut.Find("[data-testid=usage-empty]").TextContent, StringComparison.Ordinal), Wait);
        cut.Find("button[data-testid=usage-range-1w]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Hourly averages", cut.Find("[data-testid=usage-freshness]").TextContent, StringComparison.Ordinal), Wait);
    }

    [Fact]
    public async Task DashboardComponents_DrawTheInstallation_TheOwnersUse_AndShowbackWithACsvLink()
    {
        var owner = "pages-" + Guid.NewGuid().ToString("N")[..6];
        await SampledVmAsync(owner);
        await SampledVmAsync("test-admin");

        var installation = Render<InstallationUsageChart>(p => p.Add(c => c.Range, "1d"));
        installation.WaitForAssertion(() => Assert.NotEmpty(installation.Find("[data-testid=installation-usage-vms]").QuerySelectorAll("svg")), Wait);

        var own = Render<OwnerUsageChart>(p => p.Add(c => c.Range, "1d"));
        own.WaitForAssertion(() => Assert.NotEmpty(own.Find("[data-testid=owner-usage]").QuerySelectorAll("svg")), Wait);

        var showback = RenderWithPopovers(b =>
        {
            b.OpenComponent<ShowbackTable>(0);
            b.CloseComponent();
        });
        showback.WaitForAssertion(() => Assert.Contains(owner, showback.FindAll("[data-testid=showback-owner]").Select(c => c.TextContent.Trim())), Wait);
        Assert.StartsWith("api/v1/usage/showback?format=csv&from=", showback.Find("[data-testid=showback-csv]").GetAttribute("href"), StringComparison.Ordinal);
    }
}
