using Bunit;
using KrautPortal.Features.Failures;
using KrautPortal.Features.Failures.Pages;
using KrautPortal.Tests.Portal;
using Microsoft.Extensions.DependencyInjection;
using PortalApp = KrautPortal.Tests.Portal.PortalApp;

namespace KrautPortal.Tests.Failures;

/// <summary>The navigation's failure badge and the failures page follow what goes wrong and what is put right, live.</summary>
public sealed class FailurePagesTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task TheBadgeAndThePage_ShowANewFailureWithItsLink_AndDropItOnceAPassSucceeds()
    {
        var vm = await app.CreateVmAsync(Services, "failing-" + Guid.NewGuid().ToString("N")[..6]);
        var badge = Render<FailureBadge>();
        var page = Render<FailureList>();
        var before = badge.FindAll("[data-testid=failure-badge]") is { Count: 1 } b ? int.Parse(b[0].TextContent.Trim(), System.Globalization.CultureInfo.InvariantCulture) : 0;

        var registry = Services.GetRequiredService<ReconcileErrorRegistry>();
        registry.Failed("VmReconciler", vm.Id, "the host said no", 1);
        try
        {
            badge.WaitForAssertion(() => Assert.Equal((before + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                badge.Find("[data-testid=failure-badge]").TextContent.Trim()), Wait);
            page.WaitForAssertion(() =>
            {
                var row = page.Find($"[data-testid=failure-row][data-id='{vm.Id}']");
                Assert.Equal($"vms/{vm.Id}", row.QuerySelector("a")!.GetAttribute("href"));
                Assert.Contains("the host said no", row.ParentElement!.TextContent, StringComparison.Ordinal);
            }, Wait);
        }
        finally
        {
            registry.Succeeded("VmReconciler", vm.Id);
        }
        page.WaitForAssertion(() => Assert.Empty(page.FindAll($"[data-testid=failure-row][data-id='{vm.Id}']")), Wait);
        badge.WaitForAssertion(() => Assert.Equal(before, badge.FindAll("[data-testid=failure-badge]").Count == 1
            ? int.Parse(badge.Find("[data-testid=failure-badge]").TextContent.Trim(), System.Globalization.CultureInfo.InvariantCulture) : 0), Wait);
    }
}
