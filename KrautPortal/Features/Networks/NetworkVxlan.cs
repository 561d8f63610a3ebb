using System.Collections.Concurrent;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Networks;

/// <summary>A network's VXLAN link as last seen on a host.</summary>
/// <param name="State">The kernel's operstate (an up VXLAN link reports UNKNOWN: it has no carrier of its own).</param>
/// <param name="Remotes">The remote VTEPs the link really sends to (its FDB), not merely the ones asked for.</param>
public sealed record VxlanStatus(string Interface, string Host, int Vni, int Port, IReadOnlyList<string> Remotes, string? Group,
    string? Device, int Mtu, string? Bridge, string State);

/// <summary>
/// Bridges each network's VXLAN segment into its libvirt bridge on the hosts Kraut can configure: links are made
/// with iproute2 on the machine Kraut runs on, so only a local libvirt host (qemu:///system) gets one.
/// </summary>
public sealed class NetworkVxlan(KrautInstance instance)
{
    private readonly ConcurrentDictionary<string, Guid> _networkOfLink = new(StringComparer.Ordinal);

    /// <summary>Every link of this installation starts with it; the rest of the name is the network id, never user text.</summary>
    public string LinkPrefix => $"kx{instance.ShortId[..4]}";

    /// <summary>kx + 4 characters of the instance + 9 of the network id: 15, the kernel's limit.</summary>
    public string LinkName(Guid networkId) => (LinkPrefix + networkId.ToString("N"))[..15];

    /// <summary>The network a link of ours was made for, as far as this process made or checked it.</summary>
    public Guid? NetworkOfLink(string name) => _networkOfLink.TryGetValue(name, out var id) ? id : null;

    /// <summary>Makes each host's link match the network (see the per-host overload); the status of the last one made.</summary>
    public async Task<VxlanStatus?> EnsureAsync(IEnumerable<KrautHost> hosts, Resource<NetworkSpec, NetworkStatus> network, CancellationToken ct)
    {
        VxlanStatus? seen = null;
        foreach (var host in hosts)
        {
            seen = await EnsureAsync(host, network.Id, network.Spec, ct) ?? seen;
        }
        return seen;
    }

    public async Task RemoveAsync(IEnumerable<KrautHost> hosts, Guid networkId, CancellationToken ct)
    {
        foreach (var host in hosts) await RemoveAsync(host, networkId, ct);
    }

    /// <summary>
    /// Makes the host's link match the spec (creating, replacing, updating remotes, or removing it); null when the
    /// network has none. Call it once the libvirt network is active: the link joins its bridge.
    /// </summary>
    public async Task<VxlanStatus?> EnsureAsync(KrautHost host, Guid networkId, NetworkSpec spec, CancellationToken ct)
    {
        if (!host.IsLocal)
        {
            if (spec.Vxlan is null || host.IsDemo) return null;
            throw new VxlanException($"VXLAN links are made on the machine Kraut runs on; {host.Uri} is another machine, so this network has no outside connection there.");
        }
        var name = LinkName(networkId);
        if (spec.Vxlan is not { } vxlan)
        {
            await VxlanLinks.RemoveAsync(name, ct);
            return null;
        }
        _networkOfLink[name] = networkId;
        var bridge = BridgeOf(host, networkId);
        if (string.IsNullOrEmpty(bridge)) throw new VxlanException($"libvirt reports no bridge for the network on {host.Uri} (is it active?), so {name} has nothing to join.");

        var state = await VxlanLinks.EnsureAsync(
            new VxlanLinkDefinition(name, vxlan.Vni, vxlan.Port, vxlan.Remotes, vxlan.Group, vxlan.Device, spec.Mtu, bridge), ct);
        return new VxlanStatus(state.Name, host.Uri, state.Vni, state.Port, state.Remotes, state.Group, state.Device, state.Mtu, state.Master, state.OperState);
    }

    public async Task RemoveAsync(KrautHost host, Guid networkId, CancellationToken ct)
    {
        if (!host.IsLocal) return;
        await VxlanLinks.RemoveAsync(LinkName(networkId), ct);
        _networkOfLink.TryRemove(LinkName(networkId), out _);
    }

    /// <summary>Removes this installation's links whose network is gone or no longer has a VXLAN (left by a crash).</summary>
    /// <param name="wanted">Reads the ids of networks that have a VXLAN; called after listing the links, so a link made meanwhile is never taken for an orphan.</param>
    public Task<IReadOnlyList<string>> RemoveOrphansAsync(Func<Task<IReadOnlyCollection<Guid>>> wanted, CancellationToken ct) =>
        VxlanLinks.RemoveOrphansAsync(LinkPrefix, async () => (await wanted()).Select(LinkName), ct);

    private string? BridgeOf(KrautHost host, Guid networkId)
    {
        using var network = host.Connection.FindNetwork(NetworkNames.LibvirtName(instance, networkId));
        return network is { IsActive: true } ? network.GetBridgeName() : null;
    }
}
