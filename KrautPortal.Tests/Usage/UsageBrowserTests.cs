using KrautPortal.Features.Store;
using KrautPortal.Features.Usage;
using KrautPortal.Tests.Browser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Usage;

/// <summary>The VM page's Usage tab in Chromium: figures and four drawn charts from an hour of samples (put in the portal's database).</summary>
[Collection(BrowserCollection.Name)]
public sealed class UsageBrowserTests(BrowserFixture browser, TestDriverPortal app) : IClassFixture<TestDriverPortal>
{
    [Fact]
    public async Task UsageTab_DrawsTheVmsCharts_AndSwitchesRanges()
    {
        var id = await app.Api.CreateVmAsync($"usage-{Guid.NewGuid().ToString("N")[..6]}");
        await app.Api.WaitForPhaseAsync(id, "running", TimeSpan.FromSeconds(30));
        await AddSamplesAsync(id);

        var page = await browser.NewSignedInPageAsync(app.Portal);
        await page.GotoInteractiveAsync($"vms/{id}");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Usage" }).ClickAsync();

        await Expect(page.TestId("usage-now-cpu")).ToContainTextAsync("%");
        await Expect(page.TestId("usage-now-memory")).ToContainTextAsync("MiB");
        foreach (var chart in new[] { "cpu", "memory", "disk", "net" })
            await Expect(page.TestId($"usage-chart-{chart}").Locator("svg path.mud-chart-line").First).ToBeVisibleAsync();
        await page.ScreenshotToAsync("vm-usage-tab.png");

        await page.TestId("usage-range-30d").ClickAsync();
        await Expect(page.TestId("usage-freshness")).ToContainTextAsync("Hourly averages");
    }

    /// <summary>An hour of minute samples: CPU in a wave, memory growing, disk and network busy.</summary>
    private async Task AddSamplesAsync(Guid vm)
    {
        var options = new DbContextOptionsBuilder<SqliteKrautDbContext>()
            .UseSqlite($"Data Source={Path.Combine(app.Portal.DataDirectory, "kraut.db")}").Options;
        await using var db = new SqliteKrautDbContext(options);
        var now = DateTime.UtcNow;
        db.UsageSamples.AddRange(Enumerable.Range(1, 60).Select(i => new UsageSampleRow
        {
            At = now.AddMinutes(i - 60),
            VmId = vm,
            Owner = "admin",
            HostUri = "test:///default",
            Seconds = 60,
            Vcpus = 1,
            MemoryMiB = 256,
            CpuPercent = 50 + 40 * Math.Sin(i / 6.0),
            MemoryUsedBytes = (100L + i) << 20,
            DiskReadBytesPerSecond = 1000 * (i % 7),
            DiskWriteBytesPerSecond = 3000 * (i % 5),
            NetRxBytesPerSecond = 2000 + 100 * i,
            NetTxBytesPerSecond = 500 + 50 * (i % 10),
        }));
        await db.SaveChangesAsync();
    }
}
