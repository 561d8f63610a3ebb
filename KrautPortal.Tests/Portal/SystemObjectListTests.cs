using System.Text.Json.Nodes;
using Bunit;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Vms.Pages;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Portal;

/// <summary>The portal's lists (one shared component for every kind) on real services: a system VM is hidden from its owner and chipped "system" for administrators.</summary>
public sealed class SystemObjectListTests : OwnPortalTestContext
{
    public SystemObjectListTests() : base(new KrautAppFactory())
    {
    }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task TheVmList_HidesASystemVmFromItsOwner_AndShowsItToAnAdministrator_ChippedAndNotTickable()
    {
        var circuit = Services.GetRequiredService<RequestActorAccessor>();
        circuit.CircuitActor = new Actor("alice", IsAdmin: false, []);
        var vms = Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>();
        var spec = new VmSpec
        {
            ImageId = await App.IdOfAsync("images", "kraut-test-guest"), MachineTypeId = await App.IdOfAsync("machine-types", "small"),
            Power = PowerState.Stopped, Nics = [new VmNic { NetworkId = await App.IdOfAsync("networks", "default") }],
        };
        await vms.CreateAsync(new ResourceInput<VmSpec>("alices-own", [], spec), CancellationToken.None);
        await vms.AsKraut().CreateAsync(new ResourceInput<VmSpec>("alices-router", [], spec, Owner: "alice"), CancellationToken.None, isSystem: true);

        var asOwner = RenderWithPopovers(b => { b.OpenComponent<VmList>(0); b.CloseComponent(); });
        asOwner.WaitForAssertion(() => Assert.Equal(["alices-own"], Names(asOwner)), Wait);
        Assert.Contains("1 VM", asOwner.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("alices-router", asOwner.Markup, StringComparison.Ordinal);
        Assert.Empty(asOwner.FindAll("[data-testid=system-chip]"));

        // The list again, as an administrator would see it (beside the first render's popover provider: one per context).
        circuit.CircuitActor = TestCredentials.Admin;
        var asAdmin = Render(b => { b.OpenComponent<VmList>(0); b.CloseComponent(); });
        asAdmin.WaitForAssertion(() => Assert.Equal(["alices-own", "alices-router"], Names(asAdmin)), Wait);
        Assert.NotNull(Row(asAdmin, "alices-router").QuerySelector("[data-testid=system-chip]"));
        Assert.Null(Row(asAdmin, "alices-router").QuerySelector("input[type=checkbox]"));
        Assert.Null(Row(asAdmin, "alices-own").QuerySelector("[data-testid=system-chip]"));

        // "Select all" ticks what one may act on: the system VM is not among it, and all are then ticked.
        asAdmin.Find("thead input[type=checkbox]").Change(true);
        asAdmin.WaitForAssertion(() => Assert.Contains("1 selected", asAdmin.Markup, StringComparison.Ordinal), Wait);
        Assert.DoesNotContain("mud-checkbox-null", asAdmin.Find("thead").InnerHtml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASystemVmsPage_ShowsAnAdministratorWhatItIs_AndOffersNoChangeTheApiWouldRefuse()
    {
        var circuit = Services.GetRequiredService<RequestActorAccessor>();
        var vms = Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>();
        var spec = new VmSpec
        {
            ImageId = await App.IdOfAsync("images", "kraut-test-guest"), MachineTypeId = await App.IdOfAsync("machine-types", "small"),
            Power = PowerState.Stopped, Nics = [new VmNic { NetworkId = await App.IdOfAsync("networks", "default") }],
        };
        var router = await vms.AsKraut().CreateAsync(new ResourceInput<VmSpec>("bobs-router", [], spec, Owner: "bob"), CancellationToken.None, isSystem: true);
        await vms.AsKraut().UpdateSpecAsync(router.Id, null, s => s with { Power = PowerState.Running }, "started", CancellationToken.None);
        var own = await vms.AsKraut().CreateAsync(new ResourceInput<VmSpec>("bobs-own", [], spec, Owner: "bob"), CancellationToken.None);

        circuit.CircuitActor = TestCredentials.Admin;
        var page = RenderWithPopovers(b => { b.OpenComponent<VmDetail>(0); b.AddAttribute(1, nameof(VmDetail.Id), router.Id); b.CloseComponent(); });
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=system-notice]")), Wait);
        Assert.Contains("bob", page.Find("[data-testid=system-notice]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(page.Find("[data-testid=system-chip]"));
        foreach (var control in new[] { "action-delete", "action-start", "action-stop" })
            Assert.Empty(page.FindAll($"[data-testid={control}]"));
        OpenTab(page, "Metadata");
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=metadata-add]")), Wait);
        Assert.Empty(page.FindAll("[data-testid=metadata-save]"));
        OpenTab(page, "History");
        page.WaitForAssertion(() => Assert.Contains("started", page.Markup, StringComparison.Ordinal), Wait);
        Assert.Empty(page.FindAll("[data-testid^=revert-]"));

        // The same page for an ordinary VM (two versions too) still offers everything: the rule is the flag, not the viewer.
        await vms.AsKraut().UpdateSpecAsync(own.Id, null, s => s with { Power = PowerState.Running }, "started", CancellationToken.None);
        var ordinary = Render(b => { b.OpenComponent<VmDetail>(0); b.AddAttribute(1, nameof(VmDetail.Id), own.Id); b.CloseComponent(); });
        ordinary.WaitForAssertion(() => Assert.NotNull(ordinary.Find("[data-testid=action-delete]")), Wait);
        Assert.Empty(ordinary.FindAll("[data-testid=system-notice]"));
        OpenTab(ordinary, "Metadata");
        ordinary.WaitForAssertion(() => Assert.NotNull(ordinary.Find("[data-testid=metadata-save]")), Wait);
        OpenTab(ordinary, "History");
        ordinary.WaitForAssertion(() => Assert.NotEmpty(ordinary.FindAll("[data-testid^=revert-]")), Wait);
    }

    private static void OpenTab(IRenderedComponent<Bunit.Rendering.ContainerFragment> cut, string title)
    {
        // Found and clicked on the renderer's thread: the page re-renders as the reconciler writes status.
        cut.InvokeAsync(() => cut.FindAll(".mud-tab").First(t => t.TextContent.Trim() == title).Click()).GetAwaiter().GetResult();
    }

    private static List<string> Names(IRenderedComponent<Bunit.Rendering.ContainerFragment> cut) =>
        cut.FindAll("[data-testid=resource-table] tbody tr").Select(r => r.QuerySelector("[data-testid=vm-link]")?.TextContent ?? "").Order().ToList();

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<Bunit.Rendering.ContainerFragment> cut, string name) =>
        cut.FindAll("[data-testid=resource-table] tbody tr").Single(r => r.QuerySelector("[data-testid=vm-link]")?.TextContent == name);
}
