using System.Text.Json.Nodes;
using AngleSharp.Dom;
using Bunit;
using Bunit.Rendering;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Firewalls;
using KrautPortal.Features.Firewalls.Pages;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace KrautPortal.Tests.Portal;

/// <summary>The firewall pages on real services: the rules table's edits are what is saved, errors sit at their field, templates, owners.</summary>
public sealed class FirewallPagesTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RulesTable_AddReorderAndDisable_AreWhatApplySaves_InThatOrder()
    {
        var network = await NewNetworkAsync("order");
        var web = new FirewallRule { Id = Guid.CreateVersion7(), Ports = ["80"], Comment = "web" };
        var ssh = new FirewallRule { Id = Guid.CreateVersion7(), Ports = ["22"], Comment = "ssh" };
        var firewall = await Firewalls.CreateAsync(new ResourceInput<FirewallSpec>(ApiName("order"), new JsonObject(),
            new FirewallSpec { NetworkIds = [network.Id], Rules = [web, ssh] }), CancellationToken.None);

        var cut = RenderPage(firewall.Id);
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=rule-row]").Count), Wait);

        // ssh above web, web switched off, a new rule for 8080 at the end.
        Rows(cut)[1].QuerySelector("button[data-testid=rule-up]")!.Click();
        cut.WaitForAssertion(() => Assert.Equal(ssh.Id.ToString(), Rows(cut)[0].GetAttribute("data-rule-id")), Wait);
        Rows(cut)[1].QuerySelector("input[type=checkbox]")!.Change(false);
        cut.Find("button[data-testid=rule-add]").Click();
        cut.WaitForAssertion(() => Assert.Equal(3, Rows(cut).Count), Wait);
        Rows(cut)[2].QuerySelector("input[data-testid=rule-ports]")!.Input("8080");
        Rows(cut)[2].QuerySelector("input[data-testid=rule-comment]")!.Input("alt");

        await ReviewAndApplyAsync(cut);

        var saved = await Firewalls.GetAsync(firewall.Id, CancellationToken.None);
        Assert.Equal(firewall.Version + 1, saved.Version);
        Assert.Equal(["ssh", "web", "alt"], saved.Spec.Rules.Select(r => r.Comment));
        Assert.Equal([true, false, true], saved.Spec.Rules.Select(r => r.Enabled));
        Assert.Equal([ssh.Id, web.Id], saved.Spec.Rules.Take(2).Select(r => r.Id));
        Assert.Equal(["8080"], saved.Spec.Rules[2].Ports);
    }

    [Fact]
    public async Task AltArrowKeys_MoveTheRowTheFocusIsIn()
    {
        var network = await NewNetworkAsync("keys");
        var firewall = await Firewalls.CreateAsync(new ResourceInput<FirewallSpec>(ApiName("keys"), new JsonObject(), new FirewallSpec
        {
            NetworkIds = [network.Id],
            Rules = [new FirewallRule { Ports = ["1"], Comment = "one" }, new FirewallRule { Ports = ["2"], Comment = "two" }],
        }), CancellationToken.None);
        var cut = RenderPage(firewall.Id);
        cut.WaitForAssertion(() => Assert.Equal(2, Rows(cut).Count), Wait);

        Rows(cut)[0].KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "ArrowDown", AltKey = true });
        cut.WaitForAssertion(() => Assert.Equal("two", Rows(cut)[0].QuerySelector("input[data-testid=rule-comment]")!.GetAttribute("value")), Wait);
        // Without Alt the arrow keys stay the fields' own.
        Rows(cut)[0].KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "ArrowDown" });
        await ReviewAndApplyAsync(cut);

        Assert.Equal(["two", "one"], (await Firewalls.GetAsync(firewall.Id, CancellationToken.None)).Spec.Rules.Select(r => r.Comment));
    }

    [Fact]
    public async Task AFieldError_ShowsAtItsRowAndField_AsItIsTyped_AndHoldsBackTheReview()
    {
        var network = await NewNetworkAsync("errors");
        var firewall = await Firewalls.CreateAsync(new ResourceInput<FirewallSpec>(ApiName("errors"), new JsonObject(),
            new FirewallSpec { NetworkIds = [network.Id], Rules = [new FirewallRule { Ports = ["443"] }, new FirewallRule { Ports = ["80"] }] }), CancellationToken.None);
        var cut = RenderPage(firewall.Id);
        cut.WaitForAssertion(() => Assert.Equal(2, Rows(cut).Count), Wait);

        Rows(cut)[1].QuerySelector("input[data-testid=rule-ports]")!.Input("70000");
        Rows(cut)[0].QuerySelector("input[data-testid=rule-sources]")!.Input("2001:db8::/32");
        Rows(cut)[0].QuerySelector("input[data-testid=rule-destination-selector]")!.Input("role in (web");

        cut.WaitForAssertion(() => Assert.Contains("70000", FieldError(Rows(cut)[1], "rule-ports")), Wait);
        Assert.Equal("", FieldError(Rows(cut)[0], "rule-ports"));
        Assert.Contains("selector", FieldError(Rows(cut)[0], "rule-destination-selector"), StringComparison.OrdinalIgnoreCase);
        // An IPv6 source is fine for tcp; on an icmp rule it is of the wrong family.
        Assert.Equal("", FieldError(Rows(cut)[0], "rule-sources"));
        var protocol = cut.FindComponents<MudSelect<RuleProtocol>>()[0];
        await cut.InvokeAsync(() => protocol.Instance.ValueChanged.InvokeAsync(RuleProtocol.Icmp));
        cut.WaitForAssertion(() => Assert.Contains("IPv6", FieldError(Rows(cut)[0], "rule-sources"), StringComparison.Ordinal), Wait);
        Assert.True(cut.Find("button[data-testid=firewall-review]").HasAttribute("disabled"));

        // The API's word on what the page cannot know alone lands at its field: a network that already has a firewall.
        var other = await Firewalls.CreateAsync(new ResourceInput<FirewallSpec>(ApiName("taken"), new JsonObject(), new FirewallSpec()), CancellationToken.None);
        // Beside the first page's popover provider: one per context.
        var page = Render(b => { b.OpenComponent<FirewallDetail>(0); b.AddAttribute(1, nameof(FirewallDetail.Id), other.Id); b.CloseComponent(); });
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=firewall-network]")), Wait);
        NetworkBox(page, network.Name).Change(true);
        await ReviewAndApplyAsync(page);
        page.WaitForAssertion(() => Assert.Contains("already has a firewall", page.Find("[data-testid=error-networks]").TextContent, StringComparison.Ordinal), Wait);
        Assert.Empty((await Firewalls.GetAsync(other.Id, CancellationToken.None)).Spec.NetworkIds);
    }

    [Fact]
    public async Task Templates_AddTheirRules_AndTheNewFirewallIsCreatedWithThem()
    {
        var network = await NewNetworkAsync("templates");
        var name = ApiName("templates");
        var cut = RenderWithPopovers(b => { b.OpenComponent<FirewallEditor>(0); b.CloseComponent(); });
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=firewall-network]")), Wait);
        cut.Find("input[data-testid=firewall-name]").Input(name);
        NetworkBox(cut, network.Name).Change(true);

        cut.Find("button[data-testid=template-web]").Click();
        cut.Find("button[data-testid=template-ping]").Click();
        cut.Find("input[data-testid=template-ssh-cidr]").Input("203.0.113.0/33");
        cut.WaitForAssertion(() => Assert.True(cut.Find("button[data-testid=template-ssh]").HasAttribute("disabled")), Wait);
        cut.Find("input[data-testid=template-ssh-cidr]").Input("198.51.100.0/24");
        cut.WaitForAssertion(() => Assert.False(cut.Find("button[data-testid=template-ssh]").HasAttribute("disabled")), Wait);
        cut.Find("button[data-testid=template-ssh]").Click();
        cut.WaitForAssertion(() => Assert.Equal(4, cut.FindAll("[data-testid=rule-row]").Count), Wait);

        await ReviewAndApplyAsync(cut);

        var created = (await Firewalls.ListAsync(new ListQuery(Limit: 500), CancellationToken.None)).Items.Single(f => f.Name == name);
        var rules = created.Spec.Rules;
        Assert.Equal([network.Id], created.Spec.NetworkIds);
        Assert.All(rules, r => Assert.Equal((RuleDirection.Inbound, RuleAction.Allow, true), (r.Direction, r.Action, r.Enabled)));
        Assert.Equal(RuleProtocol.Tcp, rules[0].Protocol);
        Assert.Equal(["80", "443"], rules[0].Ports);
        Assert.Empty(rules[0].Sources);
        Assert.Equal([RuleProtocol.Icmp, RuleProtocol.Icmpv6], rules.Skip(1).Take(2).Select(r => r.Protocol));
        Assert.All(rules.Skip(1).Take(2), r => Assert.Empty(r.Ports));
        Assert.Equal(RuleProtocol.Tcp, rules[3].Protocol);
        Assert.Equal(["22"], rules[3].Ports);
        Assert.Equal(["198.51.100.0/24"], rules[3].Sources);
    }

    [Fact]
    public async Task Apply_AfterSomeoneElseSaved_IsRefusedAsAConflict_AndSaysSo()
    {
        var network = await NewNetworkAsync("conflict");
        var firewall = await Firewalls.CreateAsync(new ResourceInput<FirewallSpec>(ApiName("conflict"), new JsonObject(),
            new FirewallSpec { NetworkIds = [network.Id], Rules = [new FirewallRule { Ports = ["80"] }] }), CancellationToken.None);
        var cut = RenderWithPopovers(b => { b.OpenComponent<FirewallEditor>(0); b.AddAttribute(1, nameof(FirewallEditor.Existing), firewall); b.CloseComponent(); });
        cut.WaitForAssertion(() => Assert.Single(Rows(cut)), Wait);
        Rows(cut)[0].QuerySelector("input[data-testid=rule-ports]")!.Input("8080");
        await Firewalls.UpdateSpecAsync(firewall.Id, null, s => s with { Description = "someone else" }, "elsewhere", CancellationToken.None);

        await ReviewAndApplyAsync(cut);

        cut.WaitForAssertion(() => Assert.Contains("someone else changed this firewall", cut.Find("[data-testid=conflict]").TextContent, StringComparison.Ordinal), Wait);
        Assert.Equal(["80"], (await Firewalls.GetAsync(firewall.Id, CancellationToken.None)).Spec.Rules[0].Ports);
    }

    [Fact]
    public async Task AnotherUsersFirewall_IsNeitherListedNorOpenable()
    {
        var circuit = Services.GetRequiredService<RequestActorAccessor>();
        var networks = Services.GetRequiredService<ResourceService<NetworkSpec, NetworkStatus>>();
        var alicesNetwork = await networks.AsKraut().CreateAsync(new ResourceInput<NetworkSpec>(ApiName("alice-net"), new JsonObject(),
            new NetworkSpec { Ipv4Cidr = Api.ApiClient.NextSubnet() }, Owner: "alice"), CancellationToken.None);
        var alicesName = ApiName("alices");
        circuit.CircuitActor = new Actor("alice", IsAdmin: false, []);
        var alices = await Firewalls.CreateAsync(new ResourceInput<FirewallSpec>(alicesName, new JsonObject(),
            new FirewallSpec { NetworkIds = [alicesNetwork.Id], Rules = [new FirewallRule { Ports = ["22"] }] }), CancellationToken.None);
        circuit.CircuitActor = new Actor("bob", IsAdmin: false, []);
        var bobsName = ApiName("bobs");
        await Firewalls.CreateAsync(new ResourceInput<FirewallSpec>(bobsName, new JsonObject(), new FirewallSpec()), CancellationToken.None);

        var list = RenderWithPopovers(b => { b.OpenComponent<FirewallList>(0); b.CloseComponent(); });
        list.WaitForAssertion(() => Assert.Contains(bobsName, list.Markup, StringComparison.Ordinal), Wait);
        Assert.DoesNotContain(alicesName, list.Markup, StringComparison.Ordinal);

        var detail = Render<FirewallDetail>(p => p.Add(x => x.Id, alices.Id));
        detail.WaitForAssertion(() => Assert.NotNull(detail.Find("[data-testid=missing]")), Wait);
        Assert.DoesNotContain(alicesName, detail.Markup, StringComparison.Ordinal);
        Assert.Empty(detail.FindAll("[data-testid=rule-row]"));

        // Nor can bob attach his firewall to alice's network: the picker offers only his own.
        var editor = Render(b => { b.OpenComponent<FirewallEditor>(0); b.CloseComponent(); });
        editor.WaitForAssertion(() => Assert.DoesNotContain(alicesNetwork.Name, editor.Markup, StringComparison.Ordinal), Wait);
    }

    [Fact]
    public async Task TheEmptyList_SaysWhatAFirewallDoes_AndOffersToMakeOne()
    {
        Services.GetRequiredService<RequestActorAccessor>().CircuitActor = new Actor(ApiName("nobody"), IsAdmin: false, []);
        var cut = RenderWithPopovers(b => { b.OpenComponent<FirewallList>(0); b.CloseComponent(); });
        cut.WaitForAssertion(() => Assert.Contains("rules the router of a network enforces", cut.Find("[data-testid=firewall-explained]").TextContent, StringComparison.Ordinal), Wait);
        Assert.Contains("New firewall", cut.Find("[data-testid=empty-state]").TextContent, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    private ResourceService<FirewallSpec, FirewallStatus> Firewalls => Services.GetRequiredService<ResourceService<FirewallSpec, FirewallStatus>>();

    private static string ApiName(string prefix) => Api.ApiClient.UniqueName("fw-" + prefix);

    private async Task<Resource<NetworkSpec, NetworkStatus>> NewNetworkAsync(string prefix) =>
        await Services.GetRequiredService<ResourceService<NetworkSpec, NetworkStatus>>().CreateAsync(
            new ResourceInput<NetworkSpec>(ApiName(prefix), new JsonObject(), new NetworkSpec { Ipv4Cidr = Api.ApiClient.NextSubnet() }), CancellationToken.None);

    private IRenderedComponent<ContainerFragment> RenderPage(Guid id) => RenderWithPopovers(b =>
    {
        b.OpenComponent<FirewallDetail>(0);
        b.AddAttribute(1, nameof(FirewallDetail.Id), id);
        b.CloseComponent();
    });

    private static async Task ReviewAndApplyAsync(IRenderedComponent<ContainerFragment> cut)
    {
        cut.WaitForAssertion(() => Assert.False(cut.Find("button[data-testid=firewall-review]").HasAttribute("disabled")), Wait);
        cut.Find("button[data-testid=firewall-review]").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("button[data-testid=firewall-apply]")), Wait);
        await cut.Find("button[data-testid=firewall-apply]").ClickAsync(new());
    }

    /// <summary>The networks picker's box for the network named <paramref name="name"/>.</summary>
    private static IElement NetworkBox(IRenderedComponent<ContainerFragment> cut, string name) =>
        cut.FindAll("label").First(l => l.TextContent.Contains(name, StringComparison.Ordinal)).QuerySelector("input[type=checkbox]")
        ?? throw new InvalidOperationException($"no box for {name}");

    private static List<IElement> Rows(IRenderedComponent<ContainerFragment> cut) => cut.FindAll("[data-testid=rule-row]").ToList();

    /// <summary>The error MudBlazor shows under the field with <paramref name="testId"/> in <paramref name="row"/>; empty when none.</summary>
    private static string FieldError(IElement row, string testId)
    {
        var input = row.QuerySelector($"[data-testid={testId}]") ?? throw new InvalidOperationException($"no {testId} in the row");
        var control = input.Closest(".mud-input-control") ?? throw new InvalidOperationException($"{testId} is not inside a MudBlazor input control");
        return control.QuerySelector(".mud-input-helper-text.mud-input-error")?.TextContent.Trim() ?? "";
    }
}
