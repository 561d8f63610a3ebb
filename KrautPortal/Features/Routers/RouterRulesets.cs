using KrautPortal.Features.Firewalls;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor.Routers;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Routers;

/// <summary>
/// Answers <see cref="IRouterRulesets"/> for firewalls: the router of a network, its legs exactly as
/// <see cref="RouterReconciler"/> renders with them (so a preview is byte for byte what is applied), and what its agent
/// and status report. Callers have already checked that the asker may see the network's firewall.
/// </summary>
public sealed class RouterRulesets(KindReader reader, IRouterAgent agent, KrautPaths paths) : IRouterRulesets
{
    public async Task<RouterTarget?> RouterOnAsync(Guid networkId, CancellationToken ct)
    {
        var (router, network, vm) = await FindAsync(networkId, ct);
        return router is null || network is null ? null : Target(router, network, vm);
    }

    public async Task<LoadedRuleset?> LoadedAsync(Guid networkId, CancellationToken ct)
    {
        var (_, _, vm) = await FindAsync(networkId, ct);
        if (vm is null || vm.Status.Phase != VmPhase.Running) return null;
        using var deadline = Deadline(ct);
        return await agent.LoadedAsync(paths.RouterAgentSocketFor(vm.Id), deadline.Token);
    }

    public async Task<string?> CountersJsonAsync(Guid networkId, CancellationToken ct)
    {
        var (_, _, vm) = await FindAsync(networkId, ct);
        if (vm is null) return null;
        if (vm.Status.Phase != VmPhase.Running) throw new IOException("The router VM is not running, so it has no counters now.");
        using var deadline = Deadline(ct);
        return await agent.CountersJsonAsync(paths.RouterAgentSocketFor(vm.Id), deadline.Token);
    }

    public async Task<RouterApplyStatus?> StatusAsync(Guid networkId, CancellationToken ct)
    {
        var (router, _, _) = await FindAsync(networkId, ct);
        if (router is null) return null;
        var s = router.Status;
        return new RouterApplyStatus(router.Id, router.Name, s.Phase.ToString(), s.FirewallId, s.DesiredFirewallVersion, s.DesiredHash,
            s.AppliedFirewallVersion, s.AppliedHash, s.AppliedAt, s.ApplyError, s.HandMadeTables, s.GeekModeActive, s.Message);
    }

    /// <summary>
    /// The one place a router's legs are made: the network's own ranges inside, the router VM's upstream NIC's addresses
    /// outside (none before the VM exists), and geek mode's sources only while geek mode is on.
    /// </summary>
    public static RouterTarget Target(Resource<RouterSpec, RouterStatus> router, Resource<NetworkSpec, NetworkStatus> network, Resource<VmSpec, VmStatus>? vm)
    {
        var upstream = vm?.Spec.Nics.ElementAtOrDefault(RouterVmMarker.UpstreamNic);
        var legs = new RouterLegs(DefaultLegs.Upstream, DefaultLegs.Inner, network.Spec.Ipv4Cidr, network.Spec.Ipv6Prefix,
            upstream?.Ipv4Address, upstream?.Ipv6Address);
        return new RouterTarget(router.Id, legs, router.Spec.GeekMode.Enabled ? router.Spec.GeekMode.SourceCidrs : []);
    }

    /// <summary>The router serving <paramref name="networkId"/> (not one being switched off), its network and its VM.</summary>
    private async Task<(Resource<RouterSpec, RouterStatus>? Router, Resource<NetworkSpec, NetworkStatus>? Network, Resource<VmSpec, VmStatus>? Vm)> FindAsync(
        Guid networkId, CancellationToken ct)
    {
        var router = await OnNetworkAsync(reader, networkId, ct);
        if (router is null) return (null, null, null);
        var network = await reader.FindAsync<NetworkSpec, NetworkStatus>(Kinds.Networks, networkId, ct);
        var vm = router.Status.VmId is { } vmId ? await reader.FindAsync<VmSpec, VmStatus>(Kinds.Vms, vmId, ct) : null;
        return (router, network, vm);
    }

    /// <summary>The router of a network, unless it is being switched off.</summary>
    public static async Task<Resource<RouterSpec, RouterStatus>?> OnNetworkAsync(KindReader reader, Guid networkId, CancellationToken ct)
    {
        var needle = "%" + networkId.ToString() + "%";
        return (await reader.AllAsync<RouterSpec, RouterStatus>(Kinds.Routers, ct, r => r.DeletionRequestedAt == null && EF.Functions.Like(r.Spec, needle)))
            .FirstOrDefault(r => r.Spec.NetworkId == networkId);
    }

    private static CancellationTokenSource Deadline(CancellationToken ct)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(RouterReconciler.AgentTimeout);
        return deadline;
    }
}
