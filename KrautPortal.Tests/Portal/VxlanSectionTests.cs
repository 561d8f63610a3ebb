using Bunit;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Networks.Pages;

namespace KrautPortal.Tests.Portal;

/// <summary>The network detail's VXLAN section: the segment asked for beside the link the host really has.</summary>
public sealed class VxlanSectionTests : PortalTestContext
{
    private static readonly VxlanSpec Spec = new() { Vni = 4242, Remotes = ["198.51.100.7", "198.51.100.8"], Port = 4789 };

    [Fact]
    public void ShowsVniRemotesInterfaceAndState_AsTheHostReportsThem()
    {
        var seen = new VxlanStatus("kx1a2b0123456789", "qemu:///system", 4242, 4789, ["198.51.100.7"], null, null, 1450, "virbr7", "UNKNOWN");
        var section = Render<VxlanSection>(p => p.Add(s => s.Spec, Spec).Add(s => s.Status, seen));

        var text = section.Find("#vxlan").TextContent;
        Assert.Contains("4242", text, StringComparison.Ordinal);
        Assert.Contains("198.51.100.7, 198.51.100.8", text, StringComparison.Ordinal);
        Assert.Contains("kx1a2b0123456789 on qemu:///system", text, StringComparison.Ordinal);
        Assert.Contains("up, port of virbr7", text, StringComparison.Ordinal);
        Assert.Contains("1450", text, StringComparison.Ordinal);
        // What the link really sends to: one remote not yet applied is visible, not hidden behind the spec.
        Assert.Matches(@"Remotes on the link\s*198\.51\.100\.7\s*$", section.FindAll("tr")[^1].TextContent.Trim());
    }

    [Fact]
    public void BeforeTheReconcilerRan_SaysTheLinkIsNotThereYet_AndWithoutVxlanShowsNothing()
    {
        Assert.Contains("not created yet", Render<VxlanSection>(p => p.Add(s => s.Spec, Spec)).Markup, StringComparison.Ordinal);
        Assert.Equal("", Render<VxlanSection>().Markup.Trim());
    }

    [Fact]
    public void ADownLink_IsShownDown()
    {
        var down = new VxlanStatus("kx1a2b0123456789", "qemu:///system", 4242, 4789, [], null, null, 1450, null, "DOWN");
        Assert.Contains(">down<", Render<VxlanSection>(p => p.Add(s => s.Spec, Spec).Add(s => s.Status, down)).Markup, StringComparison.Ordinal);
    }
}
