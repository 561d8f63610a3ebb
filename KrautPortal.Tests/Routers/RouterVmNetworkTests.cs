using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Routers;

/// <summary>What a router VM means to its networks' own rules: the routed network keeps no other gateway and may go with its router.</summary>
public sealed class RouterVmNetworkTests(RouterVmApp app) : IClassFixture<RouterVmApp>
{
    private static readonly Actor Alice = new(RouterVmApp.Owner, IsAdmin: false, []);

    private static NetworkSpec Lan() => new() { Ipv4Cidr = RouterVmApp.Subnet() };

    private static NetworkSpec Wan() => new() { Ipv4Cidr = RouterVmApp.Subnet(), Gateway = new GatewaySpec { Kind = GatewayKind.Host, Nat = true } };

    [Fact]
    public async Task ANetworkWithARouter_CannotGetAnotherGateway_ButKeepsOtherChanges()
    {
        var wan = await app.NetworkAsync("wan", Wan());
        var lan = await app.NetworkAsync("lan", Lan());
        await app.RouterVmAsync(wan.Id, lan.Id);
        await using var scope = app.Factory.CreateActorScope(Alice);
        var networks = scope.ServiceProvider.GetRequiredService<ResourceService<NetworkSpec, NetworkStatus>>();

        var refused = await Assert.ThrowsAsync<ValidationException>(() => networks.UpdateSpecAsync(lan.Id, null,
            s => s with { Gateway = new GatewaySpec { Kind = GatewayKind.Host } }, "gateway", CancellationToken.None));

        Assert.Contains("switch the router off", Assert.Single(refused.Errors["spec.gateway.kind"]), StringComparison.Ordinal);
        await networks.UpdateSpecAsync(lan.Id, null, s => s with { DnsDomain = "lab.example" }, "dns", CancellationToken.None);
        // The router's upstream is no routed network of its: that one may change its gateway.
        await networks.UpdateSpecAsync(wan.Id, null, s => s with { Gateway = new GatewaySpec { Kind = GatewayKind.Host } }, "gateway", CancellationToken.None);
    }

    [Fact]
    public async Task TheRoutedNetwork_MayBeDeletedWithItsRouter_TheUpstreamNotWhileTheRouterUsesIt()
    {
        var wan = await app.NetworkAsync("wan", Wan());
        var lan = await app.NetworkAsync("lan", Lan());
        var other = await app.NetworkAsync("other", Lan());
        await app.RouterVmAsync(wan.Id, lan.Id);
        await app.VmAsync("guest", [], isSystem: false, null, other.Id);
        await using var scope = app.Factory.CreateActorScope(Alice);
        var networks = scope.ServiceProvider.GetRequiredService<ResourceService<NetworkSpec, NetworkStatus>>();

        var upstream = await Assert.ThrowsAsync<ConflictException>(() => networks.DeleteAsync(wan.Id, null, CancellationToken.None));
        var withGuest = await Assert.ThrowsAsync<ConflictException>(() => networks.DeleteAsync(other.Id, null, CancellationToken.None));
        var (outcome, _) = await networks.DeleteAsync(lan.Id, null, CancellationToken.None);

        Assert.Contains($"is the upstream of the router of network '{lan.Name}'", upstream.Detail, StringComparison.Ordinal);
        Assert.Contains("guest-", withGuest.Detail, StringComparison.Ordinal);
        Assert.Equal(DeleteOutcome.Deleting, outcome);
    }
}
