using System.Text.Json.Nodes;
using AngleSharp.Dom;
using Bunit;
using Bunit.Rendering;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Networks.Pages;
using KrautPortal.Features.Routers;
using KrautPortal.Features.Routers.Pages;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace KrautPortal.Tests.Portal;

/// <summary>The router section of the network page on real services: switching on makes the router record, off deletes it, each after a confirmation.</summary>
public sealed class RouterPanelTests : PortalTestContext, IClassFixture<PortalApp>
{
    public RouterPanelTests(PortalApp app) : base(app.Services)
    {
        // bUnit answers IEnumerable<T> itself (empty) instead of asking the portal: hand the page the portal's panels.
        Services.AddSingleton<IEnumerable<INetworkPagePanel>>([.. app.Services.GetServices<INetworkPagePanel>()]);
    }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task SwitchOn_WithTheChosenUpstream_CreatesTheRouterRecord_OnlyOnceConfirmed()
    {
        var network = await NewNetworkAsync("on");
        var upstream = await NewNetworkAsync("up");
        var cut = RenderPanel(network);
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=router-off]")), Wait);

        var select = cut.FindComponents<MudSelect<Guid?>>().Single();
        await cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(upstream.Id));

        // Cancelled: nothing made.
        cut.Find("button[data-testid=router-on]").Click();
        cut.WaitForAssertion(() => Assert.Contains("becomes the network's gateway", cut.Find(".mud-dialog").TextContent, StringComparison.Ordinal), Wait);
        DialogButton(cut, "Cancel").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll(".mud-dialog")), Wait);
        Assert.Null(await RouterOfAsync(network.Id));

        cut.Find("button[data-testid=router-on]").Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(".mud-dialog")), Wait);
        DialogButton(cut, "Switch on").Click();

        var router = await Eventually.WaitForAsync(() => RouterOfAsync(network.Id), Wait, "the router record");
        Assert.Equal(upstream.Id, router.Spec.UpstreamNetworkId);
        Assert.Equal(TestCredentials.Admin.Name, router.Owner);
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=router-facts]")), Wait);
        Assert.Contains(upstream.Name, cut.Find("[data-testid=router-upstream-name]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SwitchOff_DeletesTheRouter_AfterAConfirmationThatSaysGuestsLoseTheirWayOut()
    {
        var network = await NewNetworkAsync("off");
        var router = await Routers.CreateAsync(new ResourceInput<RouterSpec>(Api.ApiClient.UniqueName("rt"), new JsonObject(), new RouterSpec { NetworkId = network.Id }),
            CancellationToken.None);
        var cut = RenderPanel(network);
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("button[data-testid=router-off-button]")), Wait);
        Assert.Contains("Kraut's uplink", cut.Find("[data-testid=router-upstream-name]").TextContent, StringComparison.Ordinal);

        cut.Find("button[data-testid=router-off-button]").Click();
        cut.WaitForAssertion(() => Assert.Contains("lose their way out", cut.Find(".mud-dialog").TextContent, StringComparison.Ordinal), Wait);
        DialogButton(cut, "Cancel").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll(".mud-dialog")), Wait);
        Assert.Null((await Routers.GetAsync(router.Id, CancellationToken.None)).DeletionRequestedAt);

        cut.Find("button[data-testid=router-off-button]").Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(".mud-dialog")), Wait);
        DialogButton(cut, "Switch off").Click();

        // Deleting a router removes its VM first: the record is marked at once and goes once the reconciler is done.
        await Eventually.WaitUntilAsync(async () => await Routers.FindAsync(router.Id, CancellationToken.None) is null or { DeletionRequestedAt: not null },
            Wait, "the router to be switched off");
    }

    [Fact]
    public async Task TheNetworkPage_ShowsTheRouterSection_ThroughItsSlot()
    {
        var network = await NewNetworkAsync("slot");
        var cut = Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<MudDialogProvider>(1);
            b.CloseComponent();
            b.OpenComponent<NetworkDetail>(2);
            b.AddAttribute(3, nameof(NetworkDetail.Id), network.Id);
            b.CloseComponent();
        });
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=router-panel] [data-testid=router-off]")), Wait);
    }

    [Fact]
    public async Task AnotherUsersNetwork_OffersNoSwitch_AndShowsNoRouterOfTheirs()
    {
        var network = await NewNetworkAsync("foreign");
        await Routers.CreateAsync(new ResourceInput<RouterSpec>(Api.ApiClient.UniqueName("rt"), new JsonObject(), new RouterSpec { NetworkId = network.Id }),
            CancellationToken.None);
        Services.GetRequiredService<RequestActorAccessor>().CircuitActor = new Actor("mallory", IsAdmin: false, []);
        var cut = RenderPanel(network);
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=router-panel]")), Wait);
        Assert.Empty(cut.FindAll("button[data-testid=router-on]"));
        Assert.Empty(cut.FindAll("button[data-testid=router-off-button]"));
        Assert.Empty(cut.FindAll("[data-testid=router-facts]"));
    }

    private ResourceService<RouterSpec, RouterStatus> Routers => Services.GetRequiredService<ResourceService<RouterSpec, RouterStatus>>();

    // Read in a scope of its own: the rendered panel refreshes live through the test's circuit context meanwhile.
    private async Task<Resource<RouterSpec, RouterStatus>?> RouterOfAsync(Guid networkId) =>
        (await StoredAllAsync<RouterSpec, RouterStatus>(Kinds.Routers)).FirstOrDefault(r => r.Spec.NetworkId == networkId);

    private async Task<Resource<NetworkSpec, NetworkStatus>> NewNetworkAsync(string prefix) =>
        await Services.GetRequiredService<ResourceService<NetworkSpec, NetworkStatus>>().CreateAsync(
            new ResourceInput<NetworkSpec>(Api.ApiClient.UniqueName("rp-" + prefix), new JsonObject(), new NetworkSpec { Ipv4Cidr = Api.ApiClient.NextSubnet() }),
            CancellationToken.None);

    private IRenderedComponent<ContainerFragment> RenderPanel(Resource<NetworkSpec, NetworkStatus> network) => Render(b =>
    {
        b.OpenComponent<MudPopoverProvider>(0);
        b.CloseComponent();
        b.OpenComponent<MudDialogProvider>(1);
        b.CloseComponent();
        b.OpenComponent<RouterPanel>(2);
        b.AddAttribute(3, nameof(RouterPanel.Network), network);
        b.CloseComponent();
    });

    private static IElement DialogButton(IRenderedComponent<ContainerFragment> cut, string text) =>
        cut.FindAll(".mud-dialog button").First(b => b.TextContent.Trim() == text);
}
