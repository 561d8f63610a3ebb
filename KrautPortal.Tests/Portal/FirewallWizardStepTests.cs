using System.Text.Json.Nodes;
using Bunit;
using KrautPortal.Features.Firewalls;
using KrautPortal.Features.Firewalls.Pages;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Routers;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Vms.Pages;
using KrautPortal.Features.Vms.Wizard;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Portal;

/// <summary>The create-VM wizard with the firewall step the Firewalls feature puts into it, on real services.</summary>
public sealed class FirewallWizardStepTests : PortalTestContext, IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly PortalApp _app;

    public FirewallWizardStepTests(PortalApp app) : base(app.Services)
    {
        _app = app;
        // bUnit answers IEnumerable<T> itself (empty) instead of asking the portal: hand the page the portal's steps, of this circuit's scope.
        // (The factory asks the test's services, which fall back to the portal's scope; a factory's own provider would not.)
        Services.AddScoped<IEnumerable<IVmWizardStep>>(_ => [Services.GetRequiredService<IVmWizardStep>()]);
    }

    [Fact]
    public async Task WithoutARouter_TheWizardPassesOverTheFirewallStep_BothWays_AndCreates()
    {
        var name = Api.ApiClient.UniqueName("nofw");
        var cut = Render<CreateVm>();
        cut.WaitForElement("[data-testid=wizard]", Wait);
        GoToNameStep(cut);
        cut.Find("input[data-testid=vm-name]").Input(name);
        Next(cut);
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=review]")), Wait);
        Assert.Empty(cut.FindAll("[data-testid=wizard-firewalls]"));

        // Back from Review lands on the name step, not on the step with nothing to ask.
        cut.Find(".mud-stepper-actions button:first-child").Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("input[data-testid=vm-name]")), Wait);
        Next(cut);
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=review]")), Wait);
        Next(cut);

        cut.WaitForElement("[data-testid=create-progress]", Wait);
        var vm = (await Vms.ListAsync(new ListQuery(Limit: 500), CancellationToken.None)).Items.Single(v => v.Name == name);
        Assert.False(vm.Metadata.ContainsKey(WizardFirewallRules.Label));
    }

    [Fact]
    public async Task WithARouter_AllowedPortsBecomeRulesOfTheNetworksFirewall_WhoseDestinationIsTheNewVm()
    {
        var network = await Networks.CreateAsync(new ResourceInput<NetworkSpec>(Api.ApiClient.UniqueName("wz-net"), new JsonObject(),
            new NetworkSpec { Ipv4Cidr = Api.ApiClient.NextSubnet() }), CancellationToken.None);
        await Services.GetRequiredService<ResourceService<RouterSpec, RouterStatus>>().CreateAsync(
            new ResourceInput<RouterSpec>(Api.ApiClient.UniqueName("wz-rt"), new JsonObject(), new RouterSpec { NetworkId = network.Id }), CancellationToken.None);
        var name = Api.ApiClient.UniqueName("web");

        var cut = Render<CreateVm>();
        cut.WaitForElement("[data-testid=wizard]", Wait);
        Next(cut);
        // Only the routed network: untick the default one.
        foreach (var box in cut.FindAll("label").Where(l => l.QuerySelector("input[data-testid=network-option]") is not null).ToList())
            box.QuerySelector("input")!.Change(box.TextContent.Contains(network.Name, StringComparison.Ordinal));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("input[data-testid=network-option][checked]")), Wait);
        Next(cut);
        cut.FindAll(".mud-radio").Single(l => l.QuerySelector("b")?.TextContent == "small").QuerySelector("input")!.Click();
        // The choice's handler goes on to a placement preview (a store read of its own); moving on before it ends raced the
        // steps on a loaded machine.
        cut.WaitForElement("[data-testid=placement-preview], [data-testid=placement-refused]", Wait);
        Next(cut);
        Next(cut);
        cut.WaitForElement("input[data-testid=vm-name]", Wait).Input(name);
        Next(cut);

        cut.WaitForAssertion(() => Assert.Contains(network.Name, cut.Find("[data-testid=wizard-firewalls]").TextContent, StringComparison.Ordinal), Wait);
        Assert.Contains("none", cut.Find("[data-testid=wizard-firewalls]").TextContent, StringComparison.Ordinal);
        cut.Find("button[data-testid=wizard-allow-add]").Click();
        cut.Find("input[data-testid=wizard-allow-ports]").Input("70000");
        cut.WaitForAssertion(() => Assert.Contains("70000", cut.Find("[data-testid=wizard-allow]").TextContent, StringComparison.Ordinal), Wait);
        Next(cut);
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=step-problem]")), Wait);
        cut.Find("input[data-testid=wizard-allow-ports]").Input("80, 443");
        Next(cut);
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=review]")), Wait);
        Next(cut);

        cut.WaitForElement("[data-testid=create-progress]", Wait);
        var vm = (await Vms.ListAsync(new ListQuery(Limit: 500), CancellationToken.None)).Items.Single(v => v.Name == name);
        Assert.Equal(name, vm.Metadata[WizardFirewallRules.Label]?.GetValue<string>());
        var firewall = await Eventually.WaitForAsync(async () =>
            (await StoredAllAsync<FirewallSpec, FirewallStatus>(Kinds.Firewalls)).FirstOrDefault(f => f.Spec.NetworkIds.Contains(network.Id)),
            Wait, "the network's new firewall");
        var rule = Assert.Single(firewall.Spec.Rules);
        Assert.Equal((RuleDirection.Inbound, RuleAction.Allow, RuleProtocol.Tcp), (rule.Direction, rule.Action, rule.Protocol));
        Assert.Equal(["80", "443"], rule.Ports);
        Assert.Equal($"{WizardFirewallRules.Label}={name}", rule.DestinationSelector);
    }

    private ResourceService<VmSpec, VmStatus> Vms => Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>();
    private ResourceService<NetworkSpec, NetworkStatus> Networks => Services.GetRequiredService<ResourceService<NetworkSpec, NetworkStatus>>();
    private ResourceService<FirewallSpec, FirewallStatus> Firewalls => Services.GetRequiredService<ResourceService<FirewallSpec, FirewallStatus>>();

    /// <summary>Image and default network as the wizard chose them, the small type, default parameters.</summary>
    private static void GoToNameStep(IRenderedComponent<CreateVm> cut)
    {
        Next(cut);
        Next(cut);
        cut.FindAll(".mud-radio").Single(l => l.QuerySelector("b")?.TextContent == "small").QuerySelector("input")!.Click();
        Next(cut);
        Next(cut);
    }

    private static void Next(IRenderedComponent<CreateVm> cut) => cut.Find(".mud-stepper-actions button:last-child").Click();
}
