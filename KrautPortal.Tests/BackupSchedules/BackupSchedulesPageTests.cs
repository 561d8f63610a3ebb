using Bunit;
using KrautPortal.Features.BackupSchedules.Pages;
using KrautPortal.Tests.Portal;

namespace KrautPortal.Tests.BackupSchedules;

/// <summary>
/// The /backup-schedules page on real services: each field is checked as it is typed (create is offered only once
/// everything is right), a created schedule is listed with its run, and deleting asks first.
/// </summary>
public sealed class BackupSchedulesPageTests : PortalTestContext, IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public BackupSchedulesPageTests(PortalApp app) : base(app.Services) { }

    [Fact]
    public void Create_ChecksEachStep_ListsTheSchedule_AndDeleteAsksFirst()
    {
        var cut = RenderWithDialogs(b =>
        {
            b.OpenComponent<BackupSchedulesPage>(0);
            b.CloseComponent();
        });
        var name = "page-sched-" + Guid.NewGuid().ToString("N")[..6];
        var label = Guid.NewGuid().ToString("N")[..8];
        cut.WaitForElement("button[data-testid=schedule-mode-selector]").Click();
        cut.Find("input[data-testid=schedule-name]").Input(name);
        cut.Find("input[data-testid=schedule-selector]").Input("env in (prod");
        cut.Find("input[data-testid=schedule-every]").Input("fortnightly");
        cut.Find("input[data-testid=schedule-keep]").Input("0");
        cut.WaitForAssertion(() =>
        {
            var form = cut.Find("[data-testid=schedule-form]").TextContent;
            Assert.Contains("Invalid selector", form, StringComparison.Ordinal);
            Assert.Contains("every is hourly, daily, weekly", form, StringComparison.Ordinal);
            Assert.Contains("From 1 to", form, StringComparison.Ordinal);
        }, Wait);
        Assert.True(cut.Find("button[data-testid=schedule-create]").HasAttribute("disabled"));

        cut.Find("input[data-testid=schedule-selector]").Input($"pagetest={label}");
        cut.Find("input[data-testid=schedule-every]").Input("6h");
        cut.Find("input[data-testid=schedule-keep]").Input("3");
        cut.WaitForAssertion(() => Assert.False(cut.Find("button[data-testid=schedule-create]").HasAttribute("disabled")), Wait);
        cut.Find("button[data-testid=schedule-create]").Click();

        var row = () => cut.FindAll("[data-testid=schedule-row]").Single(r => r.TextContent.Contains(name, StringComparison.Ordinal));
        cut.WaitForAssertion(() => Assert.Contains($"VMs matching pagetest={label}", row().TextContent, StringComparison.Ordinal), Wait);
        // Its first run was due at once (nothing matches): the next one is listed.
        cut.WaitForAssertion(() => Assert.NotEqual("—", row().QuerySelector("[data-testid=schedule-next]")!.TextContent.Trim()), Wait);

        row().QuerySelector("button[data-testid=schedule-delete]")!.Click();
        cut.WaitForAssertion(() => Assert.Contains("The backups it took stay", cut.Find(".mud-dialog").TextContent, StringComparison.Ordinal), Wait);
        cut.FindAll(".mud-dialog button").First(b => b.TextContent.Trim() == "Delete").Click();
        cut.WaitForAssertion(() => Assert.DoesNotContain(cut.FindAll("[data-testid=schedule-row]"), r => r.TextContent.Contains(name, StringComparison.Ordinal)), Wait);
    }
}
