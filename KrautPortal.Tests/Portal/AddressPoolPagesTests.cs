using System.Net;
using Bunit;
using KrautPortal.Features.AddressPools;
using KrautPortal.Features.AddressPools.Pages;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Networks.Pages;
using KrautPortal.Features.Seeding;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Portal;

/// <summary>The network form tells people which ranges they may use and offers a free one; administrators edit pools in the portal.</summary>
public sealed class AddressPoolPagesTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private void ActAs(Actor actor) => Services.GetRequiredService<RequestActorAccessor>().CircuitActor = actor;

    [Fact]
    public void NetworkForm_ForAnOrdinaryUser_ShowsTheirRanges_OffersAFreeSubnet_AndShowsAPoolRefusalAtTheField()
    {
        ActAs(new Actor("dave", IsAdmin: false, []));
        var cut = RenderWithPopovers(b => { b.OpenComponent<NetworkForm>(0); b.CloseComponent(); });

        var ranges = cut.WaitForElement("[data-testid=network-ranges]", Wait).TextContent;
        Assert.Contains($"IPv4 inside {FirstRunSeeder.DefaultPoolIpv4} (pool 'default')", ranges);
        Assert.Contains($"IPv6 inside {FirstRunSeeder.DefaultPoolIpv6} (pool 'default')", ranges);
        cut.Find("button[data-testid=use-ipv4]").Click();
        var offered = cut.Find("input[data-testid=network-cidr]").GetAttribute("value");
        Assert.True(IPNetwork.TryParse(offered, out var subnet) && IPNetwork.Parse(FirstRunSeeder.DefaultPoolIpv4).Contains(subnet.BaseAddress),
            $"offered '{offered}', not a subnet inside the default pool");

        var name = Api.ApiClient.UniqueName("public");
        cut.Find("input[data-testid=network-name]").Change(name);
        cut.Find("input[data-testid=network-cidr]").Change("203.0.113.0/24");
        cut.Find("button[data-testid=network-save]").Click();

        cut.WaitForAssertion(() => Assert.Contains("203.0.113.0/24 is outside the IPv4 ranges you may use", FieldError(cut, "network-cidr")), Wait);
        Assert.Contains("see the fields marked in red", cut.Find("[data-testid=form-errors]").TextContent);
        using var scope = app.Services.CreateScope();
        var networks = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        Assert.DoesNotContain(networks.Resources.Where(r => r.Kind == "networks").Select(r => r.Name).ToList(), n => n == name);
    }

    [Fact]
    public async Task PoolForm_ShowsABadRangeAtItsField_ThenCreatesThePoolForAGroup()
    {
        var name = Api.ApiClient.UniqueName("lab");
        var cut = RenderWithPopovers(b => { b.OpenComponent<AddressPoolForm>(0); b.CloseComponent(); });
        cut.Find("input[data-testid=pool-name]").Change(name);
        cut.Find("input[data-testid=pool-owner]").Change("lab-team");
        cut.Find("textarea[data-testid=pool-ipv4-input]").Change("10.1.2.3/16");
        cut.Find("button[data-testid=pool-save]").Click();

        cut.WaitForAssertion(() => Assert.Contains("'10.1.2.3/16' has host bits set; did you mean 10.1.0.0/16?", FieldError(cut, "pool-ipv4-input")), Wait);

        cut.Find("textarea[data-testid=pool-ipv4-input]").Change("10.1.0.0/16, 10.2.0.0/16");
        cut.Find("button[data-testid=pool-save]").Click();

        await using var scope = app.Factory.CreateActorScope();
        var pools = scope.ServiceProvider.GetRequiredService<ResourceService<AddressPoolSpec, AddressPoolStatus>>();
        var created = await Eventually.WaitForAsync(async () => (await pools.ListAsync(new ListQuery(Limit: 500), CancellationToken.None)).Items.FirstOrDefault(p => p.Name == name),
            Wait, "the pool to be created");
        Assert.Equal("lab-team", created.Owner);
        Assert.Equal(["10.1.0.0/16", "10.2.0.0/16"], created.Spec.Ipv4);
    }

    private static string FieldError(IRenderedComponent<Bunit.Rendering.ContainerFragment> cut, string testId)
    {
        var input = cut.Find($"[data-testid={testId}]");
        var control = input.Closest(".mud-input-control") ?? throw new InvalidOperationException($"{testId} is not inside a MudBlazor input control");
        return control.QuerySelector(".mud-input-helper-text.mud-input-error")?.TextContent.Trim() ?? "";
    }
}
