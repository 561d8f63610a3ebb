using System.Net;
using System.Text.Json.Nodes;
using Bunit;
using Bunit.Rendering;
using KrautPortal.Features.Audit.Pages;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Portal;
using KrautPortal.Tests.Support;

namespace KrautPortal.Tests.Audit;

/// <summary>The page "Audit trail": its empty state, the table with a Load more, a row opened to its masked parameters and its diff, and a filter.</summary>
public sealed class AuditPageTests() : OwnPortalTestContext(new KrautAppFactory())
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private IRenderedComponent<ContainerFragment> RenderPage() => RenderWithPopovers(b => { b.OpenComponent<AuditTrail>(0); b.CloseComponent(); });

    private static int Rows(IRenderedComponent<ContainerFragment> cut) => cut.FindAll("[data-testid=audit-table] tbody tr:not(.mud-table-row-group)").Count(r => r.QuerySelector("[data-testid=audit-expand]") is not null);

    private static void Type(IRenderedComponent<ContainerFragment> cut, string testId, string value)
    {
        var field = cut.Find($"[data-testid={testId}]");
        (field.TagName == "INPUT" ? field : field.QuerySelector("input")!).Change(value);
    }

    [Fact]
    public async Task Filters_PagesOfFifty_ARowOpensToMaskedParametersAndToItsDiff_AndAnEmptyResultSaysSo()
    {
        // First run's objects are versions Kraut made.
        var cut = RenderPage();
        cut.WaitForAssertion(() => Assert.Contains("machine-types small", cut.Find("[data-testid=audit-table]").TextContent, StringComparison.Ordinal), Wait);

        Type(cut, "audit-action", "no-such-action");
        cut.Find("[data-testid=audit-filters]").Submit();
        cut.WaitForAssertion(() => Assert.Contains("Nothing here matches these filters", cut.Find("[data-testid=audit-empty]").TextContent, StringComparison.Ordinal), Wait);
        cut.Find("button[data-testid=audit-clear]").Click();
        cut.WaitForAssertion(() => Assert.True(Rows(cut) >= 8), Wait);

        using var client = App.CreateClient();
        var small = await App.IdOfAsync("machine-types", "small");
        for (var i = 0; i < 30; i++)
        {
            using var patched = await client.PatchAsync($"/api/v1/machine-types/{small}", ApiClient.Raw(
                new JsonObject { ["metadata"] = new JsonObject { ["round"] = $"{i}" } }.ToJsonString(), "application/merge-patch+json"));
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }
        using (var refused = await client.PatchAsync($"/api/v1/machine-types/{small}", ApiClient.Raw(
            new JsonObject { ["password"] = "pw-never-shown" }.ToJsonString(), "application/merge-patch+json")))
            Assert.True((int)refused.StatusCode is >= 400 and < 500, $"{(int)refused.StatusCode}");
        await AuditProbe.WaitForAsync(App, 31);

        // 31 API calls, 30 versions and first run's 8: more than a page.
        cut.Find("[data-testid=audit-filters]").Submit();
        cut.WaitForAssertion(() => Assert.Equal(50, Rows(cut)), Wait);
        cut.Find("button[data-testid=audit-more]").Click();
        cut.WaitForAssertion(() => Assert.Equal(69, Rows(cut)), Wait);
        Assert.Empty(cut.FindAll("button[data-testid=audit-more]"));

        // The newest entry: the refused patch, its password masked.
        cut.FindAll("[data-testid=audit-expand]")[0].Click();
        cut.WaitForAssertion(() => Assert.Contains("\"password\": \"***\"", cut.Find("[data-testid=audit-parameters]").TextContent, StringComparison.Ordinal), Wait);
        Assert.DoesNotContain("pw-never-shown", cut.Markup, StringComparison.Ordinal);

        // The last successful patch (after the refused one): its version and what it changed.
        Type(cut, "audit-action", "update");
        cut.Find("[data-testid=audit-filters]").Submit();
        cut.WaitForAssertion(() => Assert.Equal(31, Rows(cut)), Wait);
        cut.FindAll("[data-testid=audit-expand]")[1].Click();
        cut.WaitForAssertion(() => cut.Find("button[data-testid=audit-show-diff]").Click(), Wait);
        cut.WaitForAssertion(() => Assert.Contains("\"round\": \"29\"", cut.Find("[data-testid=audit-diff]").TextContent, StringComparison.Ordinal), Wait);
    }
}
