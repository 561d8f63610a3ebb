using Bunit;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Hosts.Pages;
using KrautPortal.Tests.Portal;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace KrautPortal.Tests.Scheduling;

/// <summary>The admin dashboard's cordon panel on real services: a button that fits each host's state, a confirmation saying what changes.</summary>
public sealed class HostCordonPanelTests(SpreadPortal portal) : PortalTestContext(portal.App.Services), IClassFixture<SpreadPortal>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Cordon_AsksFirst_SayingTheHostKeepsItsVms_ThenTheRowOffersUncordon()
    {
        var cut = RenderWithDialogs(b =>
        {
            b.OpenComponent<HostCordonPanel>(0);
            b.CloseComponent();
        });
        var row = $"[data-testid=host-cordon-row][data-host='{portal.SmallHost}']";
        cut.WaitForAssertion(() => Assert.Equal("false", cut.Find(row).GetAttribute("data-cordoned")), Wait);
        Assert.Equal(2, cut.FindAll("[data-testid=host-cordon-row]").Count);

        // Each click is found and dispatched in one step: on PostgreSQL the panel's load may re-render the row between a
        // Find and its Click (a full run once clicked a handler that re-render had just replaced).
        await cut.InvokeAsync(() => cut.Find($"{row} button[data-testid=cordon-button]").Click());
        cut.WaitForAssertion(() => Assert.Contains("keep running", cut.Find(".mud-dialog").TextContent), Wait);
        Assert.Contains($"Cordon {portal.SmallHost}?", cut.Find(".mud-dialog").TextContent);
        await cut.InvokeAsync(() => cut.FindAll(".mud-dialog button").First(b => b.TextContent.Trim() == "Cordon").Click());

        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find(row).GetAttribute("data-cordoned")), Wait);
        Assert.NotNull(cut.Find($"{row} button[data-testid=uncordon-button]"));
        await using (var scope = portal.App.Services.CreateAsyncScope())
            Assert.True((await scope.ServiceProvider.GetRequiredService<HostCordons>().AllAsync(CancellationToken.None)).ContainsKey(portal.SmallHost));

        await cut.InvokeAsync(() => cut.Find($"{row} button[data-testid=uncordon-button]").Click());
        cut.WaitForAssertion(() => Assert.Contains("place new VMs there again", cut.Find(".mud-dialog").TextContent), Wait);
        await cut.InvokeAsync(() => cut.FindAll(".mud-dialog button").First(b => b.TextContent.Trim() == "Uncordon").Click());
        cut.WaitForAssertion(() => Assert.Equal("false", cut.Find(row).GetAttribute("data-cordoned")), Wait);
    }
}
