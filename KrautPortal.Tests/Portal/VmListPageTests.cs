using System.Text.Json.Nodes;
using Bunit;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Vms.Pages;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Portal;

/// <summary>The VM list on real services (test driver): empty state, and rows that follow the store by themselves.</summary>
public sealed class VmListPageTests : OwnPortalTestContext
{
    public VmListPageTests() : base(new KrautAppFactory())
    {
    }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task EmptyList_InvitesTheFirstVm_ThenShowsItAndFollowsItsState()
    {
        var cut = RenderWithPopovers(b => { b.OpenComponent<VmList>(0); b.CloseComponent(); });
        cut.WaitForAssertion(() => Assert.Contains("No VMs yet", cut.Find("[data-testid=empty-state]").TextContent), Wait);
        Assert.Equal("vms/new", cut.Find("[data-testid=empty-state] a").GetAttribute("href"));

        var vm = await CreateVmAsync("list-live");

        cut.WaitForAssertion(() => Assert.Equal("running", Phase(cut, "list-live")), Wait);
        Assert.Contains("env=test", Row(cut, "list-live").TextContent, StringComparison.Ordinal);
        Assert.Contains("1 VM", cut.Markup, StringComparison.Ordinal);

        await Services.GetRequiredService<VmOperations>().ActAsync(vm.Id, "stop", null, CancellationToken.None);

        cut.WaitForAssertion(() => Assert.Equal("stopped", Phase(cut, "list-live")), Wait);
    }

    [Fact]
    public async Task Ticks_CountedAndMirroredInTheHeaderBox()
    {
        await CreateVmAsync("two-a");
        await CreateVmAsync("two-b");
        var cut = RenderWithPopovers(b => { b.OpenComponent<VmList>(0); b.CloseComponent(); });
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=resource-table] tbody tr").Count), Wait);

        Row(cut, "two-a").QuerySelector("input[type=checkbox]")!.Change(true);

        cut.WaitForAssertion(() => Assert.Contains("1 selected", cut.Markup, StringComparison.Ordinal), Wait);
        Assert.Contains("mud-checkbox-null", cut.Find("thead").InnerHtml, StringComparison.Ordinal);

        cut.Find("thead input[type=checkbox]").Change(true);
        cut.WaitForAssertion(() => Assert.Contains("2 selected", cut.Markup, StringComparison.Ordinal), Wait);
        cut.Find("thead input[type=checkbox]").Change(false);
        cut.WaitForAssertion(() => Assert.Contains("2 VMs", cut.Markup, StringComparison.Ordinal), Wait);
    }

    [Fact]
    public async Task TickedVms_StayTicked_WhenTheListRefreshesLive()
    {
        await CreateVmAsync("tick-a");
        var cut = RenderWithPopovers(b => { b.OpenComponent<VmList>(0); b.CloseComponent(); });
        cut.WaitForAssertion(() => Assert.Equal("running", Phase(cut, "tick-a")), Wait);

        Row(cut, "tick-a").QuerySelector("input[type=checkbox]")!.Change(true);
        cut.WaitForAssertion(() => Assert.Contains("1 selected", cut.Markup, StringComparison.Ordinal), Wait);

        // Another VM appearing and booting refreshes the list several times.
        await CreateVmAsync("tick-b");
        cut.WaitForAssertion(() => Assert.Equal("running", Phase(cut, "tick-b")), Wait);

        Assert.Contains("1 selected", cut.Markup, StringComparison.Ordinal);
        Assert.True(Row(cut, "tick-a").QuerySelector("input[type=checkbox]")!.HasAttribute("checked"));
        Assert.False(Row(cut, "tick-b").QuerySelector("input[type=checkbox]")!.HasAttribute("checked"));
    }

    private async Task<Resource<VmSpec, VmStatus>> CreateVmAsync(string name)
    {
        var image = await App.IdOfAsync("images", "kraut-test-guest");
        var type = await App.IdOfAsync("machine-types", "small");
        var network = await App.IdOfAsync("networks", "default");
        return await Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>().CreateAsync(new ResourceInput<VmSpec>(name, new JsonObject { ["env"] = "test" },
            new VmSpec { ImageId = image, MachineTypeId = type, Nics = [new VmNic { NetworkId = network }] }), CancellationToken.None);
    }

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<Bunit.Rendering.ContainerFragment> cut, string name) =>
        cut.FindAll("[data-testid=resource-table] tbody tr").Single(r => r.QuerySelector("[data-testid=vm-link]")?.TextContent == name);

    private static string Phase(IRenderedComponent<Bunit.Rendering.ContainerFragment> cut, string name) =>
        Row(cut, name).QuerySelector("[data-testid=vm-phase]")!.TextContent.Trim();
}
