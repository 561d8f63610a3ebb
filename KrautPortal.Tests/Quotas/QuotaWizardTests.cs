using Bunit;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Quotas;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Vms.Pages;
using KrautPortal.Tests.Portal;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using PortalApp = KrautPortal.Tests.Portal.PortalApp;

namespace KrautPortal.Tests.Quotas;

/// <summary>The create wizard tells a person over their quota which quota and by how much, and makes nothing.</summary>
public sealed class QuotaWizardTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task CreatingAVmOverTheQuota_ShowsTheQuotaSentence_AndCreatesNothing()
    {
        var quotas = Services.GetRequiredService<QuotaService>();
        await quotas.SetAsync(QuotaSubject.User("zoe"), new QuotaLimits { Vms = 0 }, TestCredentials.Admin, CancellationToken.None);
        Services.GetRequiredService<RequestActorAccessor>().CircuitActor = new Actor("zoe", IsAdmin: false, [], Via: "tests");
        try
        {
            var cut = Render<CreateVm>();
            cut.WaitForElement("[data-testid=wizard]", Wait);
            Next(cut);
            Next(cut);
            cut.FindAll(".mud-radio").Single(l => l.QuerySelector("b")?.TextContent == "small").QuerySelector("input")!.Click();
            Next(cut);
            Next(cut);
            cut.WaitForElement("input[data-testid=vm-name]").Input("over-quota");
            Next(cut);
            Next(cut);

            cut.WaitForAssertion(() => Assert.Equal("VM quota of zoe exceeded: 0 of 0 in use, this VM needs 1 (1 over).",
                cut.Find("[data-testid=create-error]").TextContent.Trim()), Wait);
            Assert.Equal(0, (await Services.GetRequiredService<QuotaMeter>().OfKindAsync(Kinds.Vms.Name, "zoe", CancellationToken.None)).Vms);
        }
        finally
        {
            Services.GetRequiredService<RequestActorAccessor>().CircuitActor = TestCredentials.Admin;
            await quotas.RemoveAsync(QuotaSubject.User("zoe"), TestCredentials.Admin, CancellationToken.None);
        }
    }

    private static void Next(IRenderedComponent<CreateVm> cut) => cut.Find(".mud-stepper-actions button:last-child").Click();
}
