using System.Text.Json.Nodes;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// One portal on libvirt's test driver for the router VM plan tests, with helpers that make what router-core will make:
/// networks of alice's and Kraut's shared uplink, router VMs as marked system VMs, and VMs of alice's.
/// </summary>
public sealed class RouterVmApp : IDisposable
{
    public const string Owner = "alice";

    public KrautAppFactory Factory { get; } = new();

    public async Task<Resource<NetworkSpec, NetworkStatus>> NetworkAsync(string name, NetworkSpec spec, bool isSystem = false)
    {
        await using var scope = Factory.CreateActorScope();
        var networks = scope.ServiceProvider.GetRequiredService<ResourceService<NetworkSpec, NetworkStatus>>().AsKraut();
        return await networks.CreateAsync(new ResourceInput<NetworkSpec>(Unique(name), [], spec, Owner: isSystem ? Actor.SharedOwner : Owner),
            CancellationToken.None, isSystem: isSystem);
    }

    private static int _nextSubnet = Random.Shared.Next(0, SubnetCount);
    private const int SubnetCount = 12 * 256;

    /// <summary>
    /// A /24 of its own for each network (10.100.0.0–10.111.255.0, handed out in turn from a random start), so the tests'
    /// networks never overlap: picking each at random collided about once in twenty runs.
    /// </summary>
    public static string Subnet()
    {
        var n = Interlocked.Increment(ref _nextSubnet) % SubnetCount;
        return $"10.{100 + n / 256}.{n % 256}.0/24";
    }

    /// <summary>A VM with one NIC per network, in order; a router VM when <paramref name="isSystem"/> and the metadata mark it.</summary>
    public async Task<Resource<VmSpec, VmStatus>> VmAsync(string name, JsonObject metadata, bool isSystem, Func<VmSpec, VmSpec>? change = null, params Guid[] networkIds)
    {
        var spec = new VmSpec
        {
            ImageId = await Factory.IdOfAsync("images", "kraut-test-guest"),
            MachineTypeId = await Factory.IdOfAsync("machine-types", "small"),
            Power = PowerState.Stopped,
            Nics = networkIds.Select(id => new VmNic { NetworkId = id }).ToList(),
        };
        await using var scope = Factory.CreateActorScope();
        var vms = scope.ServiceProvider.GetRequiredService<ResourceService<VmSpec, VmStatus>>().AsKraut();
        return await vms.CreateAsync(new ResourceInput<VmSpec>(Unique(name), metadata, change is null ? spec : change(spec), Owner: Owner),
            CancellationToken.None, isSystem: isSystem);
    }

    public Task<Resource<VmSpec, VmStatus>> RouterVmAsync(Guid upstreamId, Guid routedId, Func<VmSpec, VmSpec>? change = null) =>
        VmAsync("router", RouterVmMarker.Metadata(Guid.NewGuid()), isSystem: true, change, upstreamId, routedId);

    public async Task<VmPlan> PlanAsync(Resource<VmSpec, VmStatus> vm)
    {
        await using var scope = Factory.CreateActorScope();
        return await scope.ServiceProvider.GetRequiredService<VmPlanner>().PlanAsync(vm, CancellationToken.None);
    }

    /// <summary>The network's libvirt definition as the realizer would derive it from the VMs on it now.</summary>
    public async Task<NetworkPlan> NetworkPlanAsync(Resource<NetworkSpec, NetworkStatus> network)
    {
        await using var scope = Factory.CreateActorScope();
        var members = await scope.ServiceProvider.GetRequiredService<INetworkMembers>().OnNetworkAsync(network.Id, CancellationToken.None);
        return NetworkPlan.For(network.Id, "kraut-test-net", network.Spec, NetworkMember.On(network.Id, members));
    }

    private static string Unique(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..6]}";

    public void Dispose() => Factory.Dispose();
}
