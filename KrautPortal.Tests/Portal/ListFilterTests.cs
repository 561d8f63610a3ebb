using Bunit;
using Bunit.Rendering;
using KrautPortal.Features.Vms.Pages;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Portal;

/// <summary>The list filter (every list shares it): what a malformed selector shows, and the filter kept in the address.</summary>
public sealed class ListFilterTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AMalformedSelector_SaysWhatIsWrong_WithdrawsTheOldRows_AndDisablesBulkActions()
    {
        var name = "filter-" + Guid.NewGuid().ToString("N")[..8];
        await app.CreateVmAsync(Services, name);
        var cut = RenderList();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=vm-link]")), Wait);
        cut.FindAll("input[data-testid=select-row]")[0].Change(true);
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=bulk-delete]").HasAttribute("disabled")), Wait);

        cut.Find("input[data-testid=selector]").Input("env in (dev");
        cut.Find("[data-testid=apply-selector]").Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=selector-error]")), Wait);
        var error = cut.Find("[data-testid=selector-error]").TextContent;
        Assert.Contains("The filter env in (dev is not valid, so nothing is listed:", error, StringComparison.Ordinal);
        var helper = cut.Find(".mud-input-helper-text.mud-input-error").TextContent.Trim();
        Assert.NotEmpty(helper);
        Assert.Contains(helper, error, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=vm-link]"));
        Assert.True(cut.Find("[data-testid=bulk-delete]").HasAttribute("disabled"));
        Assert.True(cut.Find("[data-testid=bulk-stop]").HasAttribute("disabled"));
        Assert.EndsWith("?selector=env%20in%20%28dev", Navigation.Uri, StringComparison.Ordinal);

        cut.Find("input[data-testid=selector]").Input("");
        cut.Find("[data-testid=apply-selector]").Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=vm-link]")), Wait);
        Assert.Empty(cut.FindAll("[data-testid=selector-error]"));
        Assert.DoesNotContain("selector=", Navigation.Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSelectorInTheAddress_FiltersTheList_AndFillsTheField()
    {
        var team = Guid.NewGuid().ToString("N")[..8];
        var (kept, other) = ("kept-" + team, "other-" + team);
        await app.CreateVmAsync(Services, kept, metadata: new System.Text.Json.Nodes.JsonObject { ["team"] = team });
        await app.CreateVmAsync(Services, other, metadata: new System.Text.Json.Nodes.JsonObject { ["team"] = "not-" + team });
        Navigation.NavigateTo("vms?selector=" + Uri.EscapeDataString($"team={team}"));

        var cut = RenderList();

        cut.WaitForAssertion(() => Assert.Equal([kept], cut.FindAll("[data-testid=vm-link]").Select(a => a.TextContent).ToArray()), Wait);
        Assert.Equal($"team={team}", cut.Find("input[data-testid=selector]").GetAttribute("value"));
    }

    private NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    private IRenderedComponent<ContainerFragment> RenderList() => RenderWithPopovers(b => { b.OpenComponent<VmList>(0); b.CloseComponent(); });
}
