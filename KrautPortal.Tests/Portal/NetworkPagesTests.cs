using System.Text.Json.Nodes;
using Bunit;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Networks.Pages;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Portal;

/// <summary>The network form and detail page on real services: the server's field errors shown per field; who is on the network.</summary>
public sealed class NetworkPagesTests(PortalApp app) : PortalTestContext(app.Services), IClassFixture<PortalApp>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Form_ShowsEachServerErrorUnderItsField_AndSavesNothing()
    {
        var name = Api.ApiClient.UniqueName("form");
        var cut = RenderWithPopovers(b => { b.OpenComponent<NetworkForm>(0); b.CloseComponent(); });
        cut.Find("input[data-testid=network-name]").Change(name);
        cut.Find("input[data-testid=network-cidr]").Change(Api.ApiClient.NextSubnet());
        cut.Find("input[data-testid=network-mtu]").Change("9001");
        cut.Find("input[data-testid=network-dns]").Change("9.9.9.9, dns.example");
        cut.Find("textarea[data-testid=network-routes]").Change("10.9.0.0/16 via 192.0.2.1");

        cut.Find("button[data-testid=network-save]").Click();

        cut.WaitForAssertion(() => Assert.Contains("between 68 and 9000", FieldError(cut, "network-mtu")), Wait);
        Assert.Contains("Item 2: 'dns.example' is not an IPv4 or IPv6 address.", FieldError(cut, "network-dns"));
        Assert.Contains("must be a host address inside the network's IPv4 subnet", FieldError(cut, "network-routes"));
        Assert.Equal("", FieldError(cut, "network-cidr"));
        Assert.Contains("see the fields marked in red", cut.Find("[data-testid=form-errors]").TextContent);
        Assert.DoesNotContain((await Networks().ListAsync(new ListQuery(Limit: 500), CancellationToken.None)).Items, n => n.Name == name);
    }

    [Fact]
    public async Task Detail_ShowsSubnetsGateway_WhoIsOnIt_AndLeases()
    {
        var cidr = Api.ApiClient.NextSubnet();
        var network = await Networks().CreateAsync(new ResourceInput<NetworkSpec>(Api.ApiClient.UniqueName("detail"), new JsonObject(), new NetworkSpec
        {
            Ipv4Cidr = cidr,
            Ipv6Prefix = "fd00:de7a:1::/64",
            Ipv6Mode = Ipv6Mode.Dhcpv6,
            Gateway = new GatewaySpec { Kind = GatewayKind.Host, Nat = true },
        }), CancellationToken.None);
        var image = await app.Factory.IdOfAsync("images", "kraut-test-guest");
        var type = await app.Factory.IdOfAsync("machine-types", "small");
        var vm = await Services.GetRequiredService<ResourceService<VmSpec, VmStatus>>().CreateAsync(new ResourceInput<VmSpec>("detail-web", new JsonObject(),
            new VmSpec { ImageId = image, MachineTypeId = type, Power = PowerState.Stopped, Nics = [new VmNic { NetworkId = network.Id, Ipv4Address = cidr[..^5] + ".42" }] }),
            CancellationToken.None);
        var nic = vm.Spec.Nics[0];
        // The reconciler writes the status once it realised the network; the leases set below must come after that write.
        await Eventually.WaitUntilAsync(async () => (await StoredAsync<NetworkSpec, NetworkStatus>(Kinds.Networks, network.Id))?.Status.Phase == NetworkPhase.Active,
            Wait, "the reconciler to realise the network");
        // Any later pass of the reconciler (the VM's build asks for one) writes libvirt's leases over these (none on the test
        // driver): the leases are set again below until the page has shown them.
        Task SetLeasesAsync() => Services.GetRequiredService<ResourceStore>().SetStatusAsync(Kinds.Networks.Name, network.Id, KrautJson.Serialize(new NetworkStatus
        {
            Phase = NetworkPhase.Active,
            Leases = [new NetworkLease(nic.Mac!, nic.Ipv4Address!, "detail-web", DateTime.UtcNow.AddHours(1))],
        }), CancellationToken.None);
        await SetLeasesAsync();

        var cut = Render<NetworkDetail>(p => p.Add(x => x.Id, network.Id));

        cut.WaitForAssertion(() => Assert.Contains(cidr, cut.Find("[data-testid=network-ipv4]").TextContent), Wait);
        Assert.Contains("fd00:de7a:1::/64 (dhcpv6)", cut.Find("[data-testid=network-ipv6]").TextContent);
        Assert.Equal("the host, with NAT", cut.Find("[data-testid=network-gateway]").TextContent.Trim());
        foreach (var tab in cut.FindAll(".mud-tab").Where(t => t.TextContent.Trim() is "Addresses")) tab.Click();
        cut.WaitForAssertion(() => Assert.Contains("detail-web", cut.Find("[data-testid=network-addresses]").TextContent), Wait);
        var addresses = cut.Find("[data-testid=network-addresses]").TextContent;
        Assert.Contains(cidr[..^5] + ".42", addresses);
        Assert.Contains(nic.Ipv6Address!, addresses);
        Assert.Contains(nic.Mac!, addresses);
        Assert.Contains(cidr[..^5] + ".1", addresses);
        await cut.InvokeAsync(() =>
        {
            foreach (var tab in cut.FindAll(".mud-tab").Where(t => t.TextContent.Trim() is "Leases")) tab.Click();
        });
        await Eventually.WaitUntilAsync(async () =>
        {
            if (cut.FindAll("[data-testid=network-leases]").Any(l => l.TextContent.Contains(nic.Mac!, StringComparison.Ordinal))) return true;
            if ((await Networks().GetAsync(network.Id, CancellationToken.None)).Status.Leases.Count == 0) await SetLeasesAsync();
            return false;
        }, Wait * 3, "the lease on the Leases tab");
    }

    private ResourceService<NetworkSpec, NetworkStatus> Networks() => Services.GetRequiredService<ResourceService<NetworkSpec, NetworkStatus>>();

    /// <summary>The error text MudBlazor shows under the field whose input carries <paramref name="testId"/>; empty when none.</summary>
    private static string FieldError(IRenderedComponent<Bunit.Rendering.ContainerFragment> cut, string testId)
    {
        var input = cut.Find($"[data-testid={testId}]");
        var control = input.Closest(".mud-input-control") ?? throw new InvalidOperationException($"{testId} is not inside a MudBlazor input control");
        return control.QuerySelector(".mud-input-helper-text.mud-input-error")?.TextContent.Trim() ?? "";
    }
}
