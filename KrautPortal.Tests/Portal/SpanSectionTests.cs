using Bunit;
using KrautPortal.Features.Networks.Pages;
using KrautPortal.Features.Networks.Span;

namespace KrautPortal.Tests.Portal;

/// <summary>The network detail's "Spans hosts" section: each host's link as seen, and why a host could not take part.</summary>
public sealed class SpanSectionTests : PortalTestContext
{
    [Fact]
    public void ShowsEachHostsLink_AndWhyAHostFailed()
    {
        var section = Render<SpanSection>(p => p.Add(s => s.Links, [
            new HostSpanLink("qemu:///system", true, "UNKNOWN", ["192.0.2.12"], null),
            new HostSpanLink("qemu+ssh://root@192.0.2.12/system", true, "failed", [], "ssh to root@192.0.2.12 failed: Connection refused"),
        ]));

        var rows = section.FindAll("#span tbody tr");
        Assert.Equal(2, rows.Count);
        Assert.Contains("qemu:///system", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("up", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("192.0.2.12", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("not joined: ssh to root@192.0.2.12 failed: Connection refused", rows[1].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void ANetworkOnOneHost_ShowsNothing() => Assert.Equal("", Render<SpanSection>().Markup.Trim());
}
