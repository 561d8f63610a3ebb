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
public sealed class SystemObjectListTests : PortalTestContext
{
    private readonly KrautAppFactory _app;

    public SystemObjectListTests() : this(new KrautAppFactory())
    {
    }

    private SystemObjectListTests(KrautAppFactory app) : base(app.Services) => _app = app;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _app.Dispose();
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
            ImageId = await _app.IdOfAsync("images", "kraut-test-guest"), MachineTypeId = await _app.IdOfAsync("machine-types", "small"),
            Power = PowerState.Stopped, Nics = [new VmNic { NetworkId = await _app.IdOfAsync("networks", "default") }],
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

    private static List<string> Names(IRenderedComponent<Bunit.Rendering.ContainerFragment> cut) =>
        cut.FindAll("[data-testid=resource-table] tbody tr").Select(r => r.QuerySelector("[data-testid=vm-link]")?.TextContent ?? "").Order().ToList();

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<Bunit.Rendering.ContainerFragment> cut, string name) =>
        cut.FindAll("[data-testid=resource-table] tbody tr").Single(r => r.QuerySelector("[data-testid=vm-link]")?.TextContent == name);
}
