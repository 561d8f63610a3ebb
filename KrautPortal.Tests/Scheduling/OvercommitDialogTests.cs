using Bunit;
using KrautPortal.Features.Capacity;
using KrautPortal.Features.Dashboard.Pages;
using KrautPortal.Features.Scheduling;
using KrautPortal.Tests.Portal;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Scheduling;

/// <summary>
/// The admin dashboard's capacity panel on real services: a host's "Overcommit…" dialog shows each value now and where it
/// comes from, checks a field as it is typed, says what the change does before saving it, and stores it.
/// </summary>
public sealed class OvercommitDialogTests(SpreadPortal portal) : PortalTestContext(portal.App.Services), IClassFixture<SpreadPortal>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task HostDialog_ShowsSources_RefusesABadField_SaysWhatChanges_ThenStoresTheHostsValues()
    {
        InstallationCapacity capacity;
        await using (var scope = portal.App.Services.CreateAsyncScope())
            capacity = await scope.ServiceProvider.GetRequiredService<ICapacityReader>().GetAsync(CancellationToken.None);
        var cut = RenderWithDialogs(b =>
        {
            b.OpenComponent<CapacityPanel>(0);
            b.AddAttribute(1, nameof(CapacityPanel.Capacity), capacity);
            b.CloseComponent();
        });
        try
        {
            cut.Find($"[data-testid=capacity-row][data-host='{portal.SmallHost}'] button[data-testid=overcommit-button]").Click();
            cut.WaitForAssertion(() => Assert.Equal("4 (default)", cut.Find("[data-testid=overcommit-cpu-now]").TextContent.Trim()), Wait);
            Assert.Equal("512 (default)", cut.Find("[data-testid=overcommit-reserve-now]").TextContent.Trim());
            Assert.Contains($"Overcommit of {portal.SmallHost}", cut.Find(".mud-dialog").TextContent, StringComparison.Ordinal);

            cut.Find("input[data-testid=overcommit-cpu]").Input("17");
            cut.WaitForAssertion(() => Assert.Contains("Must be at most 16", cut.Find(".mud-dialog").TextContent, StringComparison.Ordinal), Wait);
            Assert.True(cut.Find("[data-testid=overcommit-review]").HasAttribute("disabled"));

            // 2 CPUs × 8; memory 2 GiB × 2 − 512 MiB = 3.5 GiB instead of 1.5 GiB: 'small' (512 MiB each) fits 4 more there.
            cut.Find("input[data-testid=overcommit-cpu]").Input("8");
            cut.Find("input[data-testid=overcommit-memory]").Input("2");
            cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=overcommit-review]").HasAttribute("disabled")), Wait);
            cut.Find("[data-testid=overcommit-review]").Click();

            cut.WaitForAssertion(() =>
            {
                var lines = cut.FindAll("[data-testid=overcommit-summary-line]").Select(l => l.TextContent.Trim()).ToList();
                Assert.Contains($"{portal.SmallHost}: vCPU ceiling 8 → 16; memory ceiling 1.5 GiB → 3.5 GiB", lines);
                Assert.Contains(lines, l => l.StartsWith("4 more 'small' VMs fit (", StringComparison.Ordinal));
            }, Wait);
            cut.Find("[data-testid=overcommit-save]").Click();

            cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=overcommit-dialog]")), Wait);
            var stored = await ReadAsync();
            Assert.Equal(new OvercommitValues(Cpu: 8, Memory: 2), stored.Hosts[portal.SmallHost]);
            Assert.Equal(16, stored.For(portal.SmallHost).CpuCeiling(2));
            Assert.True(stored.Installation.IsEmpty);
        }
        finally
        {
            await using var scope = portal.App.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<OvercommitSettings>().SetAsync(portal.SmallHost, new OvercommitValues(), TestCredentials.Admin, CancellationToken.None);
        }
    }

    private async Task<HostOvercommits> ReadAsync()
    {
        await using var scope = portal.App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<OvercommitSettings>().ReadAsync(CancellationToken.None);
    }
}
