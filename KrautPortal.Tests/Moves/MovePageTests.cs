using Bunit;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Vms.Pages;
using KrautPortal.Tests.Portal;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Moves;

/// <summary>Its own portal: the page's moves and the cordon below change where its VMs are.</summary>
public sealed class MovePagePortal : MovesApiPortal;

/// <summary>
/// The VM page's Move… on two test-driver hosts: administrators only; the dialog lists the other host with the scheduler's
/// verdict and the scheduler's own choice, says what will happen, and its Move records the move, whose progress the page shows.
/// </summary>
public sealed class MovePageTests(MovePagePortal portal) : PortalTestContext(portal.App.Services), IClassFixture<MovePagePortal>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Move_ListsTheOtherHostWithItsVerdict_SaysWhatHappens_AndMovesTheVmCold()
    {
        var (id, vm) = await portal.VmOnAsync(MovesApiPortal.DefaultHost);
        var name = (string)vm["name"]!;
        var cut = RenderPage(id);
        cut.WaitForAssertion(() => Assert.False(cut.Find("button[data-testid=action-move]").HasAttribute("disabled")), Wait);
        cut.Find("button[data-testid=action-move]").Click();

        var row = $"[data-testid=move-host][data-host='{portal.SmallHost}']";
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find(row).GetAttribute("data-accepted")), Wait);
        Assert.Contains("fits", cut.Find($"{row} [data-testid=move-verdict]").TextContent);
        // The current host is not offered; the scheduler's choice is.
        Assert.Empty(cut.FindAll($"[data-testid=move-host][data-host='{MovesApiPortal.DefaultHost}']"));
        Assert.Contains(portal.SmallHost, cut.Find("[data-testid=move-host][data-host='']").TextContent);
        Assert.True(cut.Find("button[data-testid=move-confirm]").HasAttribute("disabled"), "nothing chosen yet");

        cut.Find($"{row} button[data-testid=move-choose]").Click();
        cut.WaitForAssertion(() => Assert.Equal($"Move {name} cold from {MovesApiPortal.DefaultHost} to {portal.SmallHost}: its disk is copied there and the VM stays stopped.",
            cut.Find("[data-testid=move-confirmation]").TextContent.Trim()), Wait);
        cut.Find("button[data-testid=move-confirm]").Click();

        var moved = await portal.WaitAsync(id, v => (string?)v["status"]?["host"] == portal.SmallHost && v["status"]?["move"] is null, "the VM moved");
        Assert.Equal(portal.SmallHost, (string?)moved["spec"]!["host"]);
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=move-dialog]")), Wait);
        Assert.Contains("move to " + portal.SmallHost, await portal.Admin.GetStringAsync($"/api/v1/vms/{id}/history"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Move_ToACordonedHost_ShowsTheRefusal_AndItCannotBeChosen()
    {
        var (id, _) = await portal.VmOnAsync(MovesApiPortal.DefaultHost);
        var small = await portal.HostIdAsync(portal.SmallHost);
        using (await portal.Admin.PostAsync($"/api/v1/hosts/{small}/cordon", null)) { }
        try
        {
            var cut = RenderPage(id);
            cut.WaitForAssertion(() => cut.Find("button[data-testid=action-move]"), Wait);
            cut.Find("button[data-testid=action-move]").Click();
            var row = $"[data-testid=move-host][data-host='{portal.SmallHost}']";
            cut.WaitForAssertion(() => Assert.Equal("false", cut.Find(row).GetAttribute("data-accepted")), Wait);
            Assert.Contains("cordon", cut.Find($"{row} [data-testid=move-verdict]").TextContent);
            Assert.True(cut.Find($"{row} button[data-testid=move-choose]").HasAttribute("disabled"));
            Assert.Contains("no host can take it", cut.Find("[data-testid=move-host][data-host='']").TextContent);
        }
        finally
        {
            using (await portal.Admin.PostAsync($"/api/v1/hosts/{small}/uncordon", null)) { }
        }
    }

    [Fact]
    public async Task Move_IsDisabledWithTheReason_ForARunningVmWithoutLiveMigration()
    {
        var cordon = await portal.HostIdAsync(portal.SmallHost);
        using (await portal.Admin.PostAsync($"/api/v1/hosts/{cordon}/cordon", null)) { }
        (Guid Id, System.Text.Json.Nodes.JsonObject Vm) running;
        try
        {
            running = await portal.VmOnAsync(MovesApiPortal.DefaultHost, running: true);
        }
        finally
        {
            using (await portal.Admin.PostAsync($"/api/v1/hosts/{cordon}/uncordon", null)) { }
        }
        var cut = RenderPage(running.Id);
        cut.WaitForAssertion(() => Assert.True(cut.Find("button[data-testid=action-move]").HasAttribute("disabled")), Wait);
        Assert.Contains("stop it to move it", cut.Find("button[data-testid=action-move]").GetAttribute("data-why-not"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Move_IsNotShownToAUserWhoIsNotAnAdministrator()
    {
        var (id, vm) = await portal.VmOnAsync(MovesApiPortal.DefaultHost);
        // The page as its owner sees it, who is not an administrator: everything else of the page is there, Move… is not.
        Services.GetRequiredService<RequestActorAccessor>().CircuitActor = new KrautPortal.Features.Store.Actor((string)vm["owner"]!, IsAdmin: false, []);
        var cut = RenderPage(id);
        cut.WaitForAssertion(() => Assert.False(cut.Find("button[data-testid=action-start]").HasAttribute("disabled")), Wait);
        Assert.Empty(cut.FindAll("[data-testid=action-move]"));
    }

    private IRenderedComponent<Bunit.Rendering.ContainerFragment> RenderPage(Guid id) => RenderWithDialogs(b =>
    {
        b.OpenComponent<VmDetail>(0);
        b.AddAttribute(1, nameof(VmDetail.Id), id);
        b.CloseComponent();
    });
}
