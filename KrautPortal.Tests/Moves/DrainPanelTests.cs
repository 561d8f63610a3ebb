using Bunit;
using KrautPortal.Features.Hosts.Pages;
using KrautPortal.Tests.Portal;
using MudBlazor;

namespace KrautPortal.Tests.Moves;

/// <summary>Its own portal: the panel's drain cordons the small host for good.</summary>
public sealed class DrainPanelPortal : MovesApiPortal;

/// <summary>The host panel's Drain button on real services: the confirmation says how many VMs move and which run; progress follows.</summary>
public sealed class DrainPanelTests(DrainPanelPortal portal) : PortalTestContext(portal.App.Services), IClassFixture<DrainPanelPortal>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Drain_AsksFirst_NamingTheRunningVm_ThenShowsProgressUntilFinished()
    {
        var defaultId = await portal.HostIdAsync(MovesApiPortal.DefaultHost);
        using (await portal.Admin.PostAsync($"/api/v1/hosts/{defaultId}/cordon", null)) { }
        var (running, runningVm) = await portal.VmOnAsync(portal.SmallHost, running: true);
        using (await portal.Admin.PostAsync($"/api/v1/hosts/{defaultId}/uncordon", null)) { }
        var (stopped, _) = await portal.VmOnAsync(portal.SmallHost);

        var cut = RenderWithDialogs(b =>
        {
            b.OpenComponent<HostCordonPanel>(0);
            b.CloseComponent();
        });
        var row = $"[data-testid=host-cordon-row][data-host='{portal.SmallHost}']";
        cut.WaitForAssertion(() => cut.Find($"{row} button[data-testid=drain-button]"), Wait);
        cut.Find($"{row} button[data-testid=drain-button]").Click();
        cut.WaitForAssertion(() => Assert.Contains("its 2 VM(s) move", cut.Find(".mud-dialog").TextContent), Wait);
        var dialog = cut.Find(".mud-dialog").TextContent;
        Assert.Contains("left in place", dialog);
        Assert.Contains((string)runningVm["name"]!, dialog);
        cut.FindAll(".mud-dialog button").First(b => b.TextContent.Trim() == "Drain").Click();

        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find($"{row} [data-testid=host-drain]").GetAttribute("data-finished")), Wait);
        var progress = cut.Find($"{row} [data-testid=host-drain]").TextContent;
        Assert.Contains("1 of 2 moved", progress);
        Assert.Contains("stop it to move it", progress);
        Assert.Equal("true", cut.Find(row).GetAttribute("data-cordoned"));
        Assert.Equal(MovesApiPortal.DefaultHost, (string?)(await portal.GetVmAsync(stopped))["status"]!["host"]);
        Assert.Equal(portal.SmallHost, (string?)(await portal.GetVmAsync(running))["status"]!["host"]);
    }
}
