using Bunit;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Networks.Ipam;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms.Wizard;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Portal;

/// <remarks>On real services: the step asks the API's rules (name taken, address free) as people type.</remarks>
public sealed class NetworkStepTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    private readonly Features.Store.Resource<Features.Networks.NetworkSpec, Features.Networks.NetworkStatus>[] _networks =
        [Make.Network("default", "10.77.0.0/24"), Make.Network("backend", "10.78.0.0/24"), Make.Network("dmz", "10.79.0.0/24")];

    [Fact]
    public void Ticking_AddsNicsInTheOrderTicked_UntickingRemoves()
    {
        var draft = new VmDraft();
        var cut = Render<NetworkStep>(p => p.Add(x => x.Draft, draft).Add(x => x.Networks, _networks));

        Checkbox(cut, 2).Change(true);
        Checkbox(cut, 0).Change(true);
        Checkbox(cut, 1).Change(true);
        Assert.Equal([_networks[2].Id, _networks[0].Id, _networks[1].Id], draft.NetworkIds);
        Assert.Contains("3 NICs, one per network, in the order ticked.", cut.Markup);

        Checkbox(cut, 0).Change(false);
        Assert.Equal([_networks[2].Id, _networks[1].Id], draft.NetworkIds);
        Assert.False(cut.FindAll("input[data-testid=network-option]")[0].HasAttribute("checked"));
    }

    [Fact]
    public void NoNetworkTicked_WarnsThatTheVmHasNoNic()
    {
        var draft = new VmDraft { NetworkIds = [_networks[0].Id] };
        var cut = Render<NetworkStep>(p => p.Add(x => x.Draft, draft).Add(x => x.Networks, _networks));
        Assert.DoesNotContain("no NIC", cut.Markup);

        Checkbox(cut, 0).Change(false);

        Assert.Empty(draft.NetworkIds);
        Assert.Contains("No network ticked: the VM will have no NIC.", cut.Find(".mud-warning-text").TextContent);
    }

    [Fact]
    public void NoNetworkAtAll_PointsToTheNetworksPage()
    {
        var cut = Render<NetworkStep>(p => p.Add(x => x.Draft, new VmDraft()).Add(x => x.Networks, []));

        Assert.Contains("There is no network", cut.Find(".mud-alert").TextContent);
        Assert.Equal("networks", cut.Find(".mud-alert a").GetAttribute("href"));
    }

    [Fact]
    public void ATickedNetwork_OffersAnOptionalAddress_ThatGoesIntoItsNic()
    {
        var draft = new VmDraft();
        var cut = Render<NetworkStep>(p => p.Add(x => x.Draft, draft).Add(x => x.Networks, _networks));
        Assert.Empty(cut.FindAll("input[data-testid=network-address]"));

        Checkbox(cut, 1).Change(true);
        Checkbox(cut, 0).Change(true);
        cut.FindAll("input[data-testid=network-address]")[0].Input("10.77.0.40");

        var nics = draft.ToInput().Spec.Nics;
        Assert.Equal([(_networks[1].Id, (string?)null), (_networks[0].Id, "10.77.0.40")], nics.Select(n => (n.NetworkId, n.Ipv4Address)));
        Assert.Contains("next free address in 10.78.0.0/24", cut.Markup);
    }

    [Fact]
    public void AnAddressOutsideTheSubnet_IsRefusedOnTheStep_AndTheErrorGoesOnceFixed()
    {
        var draft = new VmDraft();
        var cut = Render<NetworkStep>(p => p.Add(x => x.Draft, draft).Add(x => x.Networks, _networks));
        Checkbox(cut, 0).Change(true);

        cut.Find("input[data-testid=network-address]").Input("10.99.0.5");

        cut.WaitForAssertion(() => Assert.StartsWith("10.99.0.5 cannot be used on network 'default': ", Errors(cut).Single(), StringComparison.Ordinal));
        Assert.StartsWith("10.99.0.5 cannot be used", cut.Instance.Problem, StringComparison.Ordinal);

        cut.Find("input[data-testid=network-address]").Input("10.77.0.x");
        cut.WaitForAssertion(() => Assert.Equal(["'10.77.0.x' is not an IPv4 address."], Errors(cut)));

        cut.Find("input[data-testid=network-address]").Input("10.77.0.40");
        cut.WaitForAssertion(() => Assert.Empty(Errors(cut)));
        Assert.Null(cut.Instance.Problem);
    }

    [Fact]
    public async Task AnAddressAnotherNicHolds_IsRefusedOnTheStep_WithoutReservingAnything()
    {
        var network = await Services.GetRequiredService<ResourceService<NetworkSpec, NetworkStatus>>().GetAsync(await app.Factory.IdOfAsync("networks", "default"), CancellationToken.None);
        var holder = await app.CreateVmAsync(Services, "holder-" + Guid.NewGuid().ToString("N")[..8]);
        var held = holder.Spec.Nics.Single().Ipv4Address!;
        var allocations = Services.GetRequiredService<KrautDbContext>().IpAllocations;
        var before = allocations.Count();
        var draft = new VmDraft();
        var cut = Render<NetworkStep>(p => p.Add(x => x.Draft, draft).Add(x => x.Networks, [network]));
        Checkbox(cut, 0).Change(true);

        cut.Find("input[data-testid=network-address]").Input(held);

        cut.WaitForAssertion(() => Assert.Equal([$"{held} is already in use on network 'default'; pick another address or leave it empty to get a free one."], Errors(cut)));
        Assert.Equal(before, allocations.Count());
    }

    /// <summary>The error lines MudBlazor shows under invalid fields.</summary>
    private static List<string> Errors(IRenderedComponent<NetworkStep> cut) =>
        cut.FindAll(".mud-input-helper-text.mud-input-error .me-auto").Select(e => e.TextContent.Trim()).ToList();

    private static AngleSharp.Dom.IElement Checkbox(IRenderedComponent<NetworkStep> cut, int index) =>
        cut.FindAll("input[data-testid=network-option]")[index];
}
