using System.Collections.Concurrent;
using System.Globalization;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Reconciling;
using KrautPortal.Hypervisor;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Networks.Span;

/// <summary>One host's part in a network that spans hosts, as last seen.</summary>
/// <param name="Joined">Whether the host should carry the network's span link (it has VMs on it, and so does another host).</param>
/// <param name="State">The link's operstate (UNKNOWN is what an up VXLAN link reports), "absent", or "failed".</param>
/// <param name="Message">Why the host could not be joined or left: unreachable, no agent, no address.</param>
public sealed record HostSpanLink(string Host, bool Joined, string State, IReadOnlyList<string> Remotes, string? Message);

/// <summary>
/// Makes a network one layer-2 segment across the hosts its VMs sit on: on each such host (when there are two or more)
/// a VXLAN link joins the network's bridge and floods to the other hosts' addresses (head-end replication, no
/// multicast needed); on every other host there is no such link. This machine's links are made with iproute2 here
/// (<see cref="VxlanLinks"/>, as the outside connections are); a remote host's through its agent over SSH
/// (<see cref="HostAgent"/>), since libvirt makes no VXLAN links. Every step makes the host match, so it is safe to repeat.
/// </summary>
public sealed class HostSpan(KrautInstance instance, IOptions<HostSpanOptions> options, HostAgent agent, ILogger<HostSpan> logger)
{
    // The last request each remote host confirmed: the network poll repeats every 15 s, an SSH round trip per host and
    // network each time is not needed. A repeat is sent anyway after a while, which repairs a link removed by hand.
    private readonly ConcurrentDictionary<(string Host, string Link), (string Request, DateTime At, HostSpanLink Seen)> _confirmed = new();
    private static readonly TimeSpan Recheck = TimeSpan.FromMinutes(2);

    /// <summary>This installation's span links on this machine start so (outside connections' links with kx).</summary>
    public string LinkPrefix => "ky" + instance.ShortId[..4];

    /// <summary>ky + 4 characters of the instance + 9 of the network id: 15, the kernel's limit; never user text.</summary>
    public string LinkName(Guid networkId) => (LinkPrefix + networkId.ToString("N"))[..15];

    /// <summary>
    /// Removes this machine's span links whose network is gone (<paramref name="networks"/>: every network there is; a
    /// link still wanted or not is the reconciler's to decide). A remote host's are not listed: its agent only makes and
    /// removes named links, so a remote link left by a crash stays until its network's next reconcile names it.
    /// </summary>
    public Task<IReadOnlyList<string>> RemoveOrphansAsync(Func<Task<IReadOnlyCollection<Guid>>> networks, CancellationToken ct) =>
        VxlanLinks.RemoveOrphansAsync(LinkPrefix, async () => (await networks()).Select(LinkName), ct);

    /// <summary>Stable per network: the first 24 bits of its id (0 becomes 1). Its own UDP port keeps it apart from outside connections' VNIs.</summary>
    public static int Vni(Guid networkId)
    {
        var vni = int.Parse(networkId.ToString("N")[..6], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return vni == 0 ? 1 : vni;
    }

    /// <summary>
    /// Joins the hosts in <paramref name="hostsWithVms"/> (when there are two or more) and takes the link off every other
    /// host where it may be (<paramref name="previously"/> joined ones, or all when <paramref name="everywhere"/>).
    /// One host's failure does not stop the others; it is reported in its entry.
    /// </summary>
    public async Task<IReadOnlyList<HostSpanLink>> EnsureAsync(IReadOnlyList<KrautHost> hosts, Guid networkId, NetworkSpec spec,
        IReadOnlyCollection<string> hostsWithVms, IReadOnlyList<HostSpanLink> previously, CancellationToken ct)
    {
        var real = hosts.Where(h => !h.IsDemo).ToList();
        var joined = real.Where(h => hostsWithVms.Contains(h.Uri)).ToList();
        if (joined.Count < 2) joined = [];
        var result = new List<HostSpanLink>();
        foreach (var host in real)
        {
            if (joined.Contains(host))
            {
                var remotes = joined.Where(h => h != host).Select(h => options.Value.For(h.Uri).Address).ToList();
                var missing = joined.Where(h => h != host && options.Value.For(h.Uri).Address is null).Select(h => h.Uri).ToList();
                result.Add(missing.Count > 0
                    ? new HostSpanLink(host.Uri, true, "failed", [], $"No address for {string.Join(", ", missing)}: set Kraut:HostSpan:Hosts (Uri, Address).")
                    : await JoinAsync(host, networkId, spec, remotes.OfType<string>().ToList(), ct));
            }
            // Here the kernel is asked directly (a link a crash left behind goes too); elsewhere only where a link was made.
            else if ((host.IsLocal && Directory.Exists($"/sys/class/net/{LinkName(networkId)}")) || previously.Any(p => p.Host == host.Uri)
                     || _confirmed.ContainsKey((host.Uri, LinkName(networkId))))
            {
                var left = await LeaveAsync(host, networkId, ct);
                if (left.State != "absent") result.Add(left);
            }
        }
        return result;
    }

    /// <summary>Takes the link off every host (the network is being deleted); failures are logged, not thrown.</summary>
    public async Task RemoveAsync(IReadOnlyList<KrautHost> hosts, Guid networkId, CancellationToken ct)
    {
        foreach (var host in hosts.Where(h => !h.IsDemo))
        {
            var left = await LeaveAsync(host, networkId, ct);
            if (left.State == "failed") logger.LogWarning("Could not remove span link {Link} on {Host}: {Message}", LinkName(networkId), host.Uri, left.Message);
        }
    }

    private async Task<HostSpanLink> JoinAsync(KrautHost host, Guid networkId, NetworkSpec spec, IReadOnlyList<string> remotes, CancellationToken ct)
    {
        var link = LinkName(networkId);
        try
        {
            var bridge = BridgeOf(host, networkId)
                ?? throw new HostAgentException($"libvirt reports no bridge for the network on {host.Uri} (is it active?)");
            var port = options.Value.Port;
            if (host.IsLocal)
            {
                var state = await VxlanLinks.EnsureAsync(new VxlanLinkDefinition(link, Vni(networkId), port, remotes, null, null, spec.Mtu, bridge), ct);
                return new HostSpanLink(host.Uri, true, state.OperState, state.Remotes, null);
            }
            var request = string.Join(' ', "ensure", link, bridge, Text(Vni(networkId)), Text(port), spec.Mtu is { } mtu ? Text(mtu) : "auto",
                string.Join(',', remotes.Order(StringComparer.Ordinal)));
            if (_confirmed.TryGetValue((host.Uri, link), out var last) && last.Request == request && DateTime.UtcNow - last.At < Recheck) return last.Seen;
            var reply = await agent.SendAsync(SshOf(host), request, ct);
            var seen = new HostSpanLink(host.Uri, true, reply.State, remotes, null);
            _confirmed[(host.Uri, link)] = (request, DateTime.UtcNow, seen);
            return seen;
        }
        catch (Exception e) when (e is HostAgentException or VxlanException or LibvirtException or HostUnavailableException)
        {
            _confirmed.TryRemove((host.Uri, link), out _);
            return new HostSpanLink(host.Uri, true, "failed", [], e.Message);
        }
    }

    private async Task<HostSpanLink> LeaveAsync(KrautHost host, Guid networkId, CancellationToken ct)
    {
        var link = LinkName(networkId);
        try
        {
            if (host.IsLocal) await VxlanLinks.RemoveAsync(link, ct);
            else if (options.Value.For(host.Uri).Ssh is not null) await agent.SendAsync(SshOf(host), $"remove {link}", ct);
            _confirmed.TryRemove((host.Uri, link), out _);
            return new HostSpanLink(host.Uri, false, "absent", [], null);
        }
        catch (Exception e) when (e is HostAgentException or VxlanException)
        {
            return new HostSpanLink(host.Uri, false, "failed", [], $"The link could not be removed: {e.Message}");
        }
    }

    private string SshOf(KrautHost host) => options.Value.For(host.Uri).Ssh
        ?? throw new HostAgentException($"{host.Uri} has no SSH target for its host agent: set Kraut:HostSpan:Hosts (Uri, Ssh), or use a qemu+ssh:// URI.");

    private string? BridgeOf(KrautHost host, Guid networkId)
    {
        using var network = host.Connection.FindNetwork(NetworkNames.LibvirtName(instance, networkId));
        return network is { IsActive: true } ? network.GetBridgeName() : null;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
