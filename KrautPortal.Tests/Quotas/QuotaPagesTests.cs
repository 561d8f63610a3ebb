using Bunit;
using KrautPortal.Features.Quotas;
using KrautPortal.Features.Quotas.Pages;
using KrautPortal.Tests.Portal;
using KrautPortal.Tests.Support;
using PortalApp = KrautPortal.Tests.Portal.PortalApp;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Quotas;

/// <summary>The quota panel and the admin page on real services: figures as people read them, validation at the field.</summary>
public sealed class QuotaPagesTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    private QuotaService Quotas => Services.GetRequiredService<QuotaService>();

    [Fact]
    public async Task ThePanel_ShowsUseAgainstTheLimit_AsBars_AndNoLimitWhereThereIsNone_AndFollowsNewVms()
    {
        var me = QuotaSubject.User(TestCredentials.Admin.Name);
        await Quotas.SetAsync(me, new QuotaLimits { Vms = 10, Vcpus = 16 }, TestCredentials.Admin, CancellationToken.None);
        try
        {
            var before = (await Quotas.StandingAsync(me, CancellationToken.None)).Used;
            var cut = Render<QuotaUsePanel>();
            cut.WaitForAssertion(() => Assert.Contains($"{before.Vms} of 10 VMs", cut.Find("[data-measure=vms]").TextContent, StringComparison.Ordinal));

            await app.CreateVmAsync(Services, "panel-" + Guid.NewGuid().ToString("N")[..6]);
            cut.WaitForAssertion(() =>
            {
                Assert.Contains($"{before.Vms + 1} of 10 VMs", cut.Find("[data-measure=vms]").TextContent, StringComparison.Ordinal);
                Assert.Contains($"{before.Vcpus + 1} of 16 vCPUs", cut.Find("[data-measure=vcpus]").TextContent, StringComparison.Ordinal);
                Assert.Contains("(no limit)", cut.Find("[data-measure=memoryBytes]").TextContent, StringComparison.Ordinal);
                Assert.Equal(2, cut.FindAll("[data-testid=quota-use-panel] .mud-progress-linear").Count);
            });
        }
        finally
        {
            await Quotas.RemoveAsync(me, TestCredentials.Admin, CancellationToken.None);
        }
    }

    [Fact]
    public async Task TheAdminPage_ChecksEachField_ShowsGiBAsBytes_AndSavesAUsersQuota()
    {
        var cut = RenderWithPopovers(b => { b.OpenComponent<QuotaAdmin>(0); b.CloseComponent(); });
        cut.Find("input[data-testid=quota-name]").Input("zed");
        cut.Find("input[data-testid=quota-field-vms]").Input("-1");
        cut.WaitForAssertion(() => Assert.Contains("A whole number, 0 or more.", cut.Find("[data-testid=quota-form]").TextContent, StringComparison.Ordinal));
        Assert.True(cut.Find("[data-testid=quota-save]").HasAttribute("disabled"));

        cut.Find("input[data-testid=quota-field-vms]").Input("4");
        cut.Find("input[data-testid=quota-field-memoryBytes]").Input("1.5");
        cut.WaitForAssertion(() => Assert.Contains("= 1,610,612,736 bytes", cut.Find("[data-testid=quota-form]").TextContent, StringComparison.Ordinal));
        cut.Find("[data-testid=quota-save]").Click();

        cut.WaitForAssertion(() =>
        {
            var row = cut.Find("[data-subject='users/zed']").ParentElement!.TextContent;
            Assert.Contains("User zed", row, StringComparison.Ordinal);
            Assert.Contains("0 of 4", row, StringComparison.Ordinal);
            Assert.Contains("0 GiB of 1.5 GiB", row, StringComparison.Ordinal);
        });
        var stored = await Quotas.FindAsync(QuotaSubject.User("zed"), TestCredentials.Admin, CancellationToken.None);
        Assert.Equal(new QuotaLimits { Vms = 4, MemoryBytes = 3L << 29 }, stored!.Limits);
    }
}
