using System.Net;
using KrautPortal.Features.Firewalls;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Routers;

/// <summary>
/// A router serves one network of its owner (one router per network), which must have an IPv4 subnet and no other
/// gateway: the router becomes it. Deleting a router tears its VM down first (<see cref="RouterReconciler"/>).
/// </summary>
public sealed class RouterRules(ResourceStore store, KindReader reader, RouterReconciler reconciler)
    : IResourceRules<RouterSpec, RouterStatus>, ITransactionalRules<RouterSpec>, IOwnerRules<RouterSpec>
{
    public KindInfo Kind => Kinds.Routers;
    public bool DeletesAsynchronously => true;

    public async Task<RouterSpec> PrepareAsync(RouterSpec spec, Resource<RouterSpec, RouterStatus>? existing, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        // A token's selector limits the routers it reaches, not the networks a router serves (as for a VM's networks).
        if (actor.Scope is { Selector: not null } scope) actor = actor with { Scope = scope with { Selector = null } };
        if (existing is not null && existing.Spec.NetworkId != spec.NetworkId)
            errors.Add("spec.networkId", "A router stays on its network; delete it and switch on a router on the other network instead.");

        var network = await NetworkAsync(spec.NetworkId, "spec.networkId", actor, errors, ct);
        if (network is not null && existing is null)
        {
            if (!Ipv4Subnet.TryParse(network.Spec.Ipv4Cidr, out _, out _))
                errors.Add("spec.networkId", $"Network '{network.Name}' has no IPv4 subnet; a router needs one to route for.");
            if (network.Spec.Gateway.Kind != GatewayKind.None)
                errors.Add("spec.networkId", $"Network '{network.Name}' already has a gateway ({GatewayText(network.Spec.Gateway.Kind)}). The router becomes the network's gateway: "
                    + "set the network's gateway to none first.");
        }
        if (spec.UpstreamNetworkId is { } upstreamId)
        {
            if (upstreamId == spec.NetworkId)
                errors.Add("spec.upstreamNetworkId", "The upstream must be another network than the one the router serves; leave it empty for Kraut's uplink.");
            else if (await NetworkAsync(upstreamId, "spec.upstreamNetworkId", actor, errors, ct) is { } upstream
                && !Ipv4Subnet.TryParse(upstream.Spec.Ipv4Cidr, out _, out _))
                errors.Add("spec.upstreamNetworkId", $"Network '{upstream.Name}' has no IPv4 subnet; the router's upstream leg needs one.");
        }

        var cidrs = new List<string>();
        for (var i = 0; i < spec.GeekMode.SourceCidrs.Count; i++)
        {
            // Written as firewall rules write addresses: the renderer puts these into the SSH rule.
            if (TryParseCidr(spec.GeekMode.SourceCidrs[i], out var range)) cidrs.Add(FirewallAddresses.Canonical(range));
            else errors.Add($"spec.geekMode.sourceCidrs[{i}]", $"'{spec.GeekMode.SourceCidrs[i]}' is not an address or CIDR such as 203.0.113.0/24 or 2001:db8::/48 (with no host bits set).");
        }
        if (existing is not null) await CheckOwnerAsync(spec, existing.Owner, actor, errors, ct);
        return spec with { GeekMode = spec.GeekMode with { SourceCidrs = cidrs } };
    }

    /// <summary>An address, or a CIDR whose address is its network's first (no host bits set).</summary>
    private static bool TryParseCidr(string? text, out IPNetwork range)
    {
        range = default;
        var trimmed = text?.Trim() ?? "";
        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        if (!IPAddress.TryParse(slash < 0 ? trimmed : trimmed[..slash], out var address) || address.ToString().Contains('%', StringComparison.Ordinal)) return false;
        if (slash < 0)
        {
            range = new IPNetwork(address, address.GetAddressBytes().Length * 8);
            return true;
        }
        return IPNetwork.TryParse(trimmed, out range) && range.BaseAddress.Equals(address);
    }

    /// <summary>Both networks must be the router's owner's: the router VM counts as theirs and sits on them.</summary>
    public async Task CheckOwnerAsync(RouterSpec spec, string owner, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        foreach (var (field, id) in new[] { ("spec.networkId", (Guid?)spec.NetworkId), ("spec.upstreamNetworkId", spec.UpstreamNetworkId) })
        {
            if (id is not { } networkId || await store.FindAsync(Kinds.Networks.Name, networkId, actor, ct) is not { } row) continue;
            if (row.Owner != owner)
                errors.Add(field, $"Network '{row.Name}' belongs to {row.Owner}, but this router would belong to {owner}; a router routes between networks of its own owner.");
        }
    }

    /// <summary>The network as <paramref name="actor"/> may see it; one they may not is "not found", as GET says.</summary>
    private async Task<Resource<NetworkSpec, NetworkStatus>?> NetworkAsync(Guid id, string field, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (await store.FindAsync(Kinds.Networks.Name, id, actor, ct) is not { } row)
        {
            errors.Add(field, $"There is no network with id {id}.");
            return null;
        }
        var network = Resource<NetworkSpec, NetworkStatus>.FromRow(row);
        if (network.DeletionRequestedAt is not null)
        {
            errors.Add(field, $"Network '{network.Name}' is being deleted.");
            return null;
        }
        return network;
    }

    private static string GatewayText(GatewayKind kind) => kind switch
    {
        GatewayKind.Host => "the host",
        GatewayKind.Address => "a fixed address",
        GatewayKind.Vm => "one of your VMs",
        _ => kind.ToString(),
    };

    /// <summary>Inside the write's transaction, so two routers switched on at once cannot both take the network.</summary>
    public async Task<RouterSpec> WritingAsync(Guid id, RouterSpec spec, RouterSpec? previous, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        var others = (await reader.MentioningAsync<RouterSpec>(Kinds.Routers, spec.NetworkId, ct))
            .Where(r => r.Id != id && r.Spec.NetworkId == spec.NetworkId).ToList();
        if (others.Count > 0)
            errors.Add("spec.networkId", "This network already has a router" + (others[0].Deleting ? " (being switched off; try again when it is gone)." : "; a network has at most one."));
        return spec;
    }

    public RouterStatus InitialStatus(RouterSpec spec) => new();

    public Task EnsureDeletableAsync(Resource<RouterSpec, RouterStatus> existing, Actor actor, CancellationToken ct) => Task.CompletedTask;

    public void Changed(Guid id) => reconciler.Enqueue(id);
}
