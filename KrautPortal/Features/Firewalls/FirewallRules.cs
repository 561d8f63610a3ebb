using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;

namespace KrautPortal.Features.Firewalls;

/// <summary>
/// A firewall is well-formed (<see cref="FirewallSpecCheck"/>), attached only to networks of its own owner, and forwards
/// only to its owner's VMs on those networks; a network carries at most one firewall, checked inside the write's
/// transaction so two writes at once cannot both attach one.
/// </summary>
public sealed class FirewallRules(ResourceStore store, KindReader reader, FirewallCreationOwner creating)
    : IResourceRules<FirewallSpec, FirewallStatus>, ITransactionalRules<FirewallSpec>
{
    public KindInfo Kind => Kinds.Firewalls;
    public bool DeletesAsynchronously => false;

    public async Task<FirewallSpec> PrepareAsync(FirewallSpec spec, Resource<FirewallSpec, FirewallStatus>? existing, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        spec = FirewallSpecCheck.Check(spec, errors);
        // A token's selector limits the firewalls it reaches, not the networks and VMs a firewall names (as for VMs).
        var reading = actor.Scope is { Selector: not null } scope ? actor with { Scope = scope with { Selector = null } } : actor;
        // The owner the firewall has (on change) or will have (on create: the one asked for, else the creator).
        var owner = existing?.Owner ?? creating.Requested ?? actor.Name;
        bool OwnersMatch(string objectOwner) => objectOwner == owner;
        var ownerWords = $"the firewall's owner ({owner})";

        // A network deleted since it was attached drops out quietly, so the firewall stays editable (and revertible).
        var gone = new List<Guid>();
        foreach (var networkId in spec.NetworkIds.Where(n => existing?.Spec.NetworkIds.Contains(n) == true))
            if (!await reader.ExistsAsync(Kinds.Networks, networkId, ct)) gone.Add(networkId);
        if (gone.Count > 0) spec = spec with { NetworkIds = spec.NetworkIds.Except(gone).ToList() };

        var networks = await store.GetManyAsync(Kinds.Networks.Name, spec.NetworkIds, reading, ct);
        for (var i = 0; i < spec.NetworkIds.Count; i++)
        {
            if (spec.NetworkIds[i] == Guid.Empty) continue;
            var at = $"spec.networkIds[{i}]";
            if (!networks.TryGetValue(spec.NetworkIds[i], out var network) || network.IsSystem)
                errors.Add(at, $"There is no network with id {spec.NetworkIds[i]}.");
            else if (!OwnersMatch(network.Owner))
                errors.Add(at, $"Network '{network.Name}' belongs to {network.Owner}; a firewall may only be attached to networks owned by {ownerWords}.");
            else if (network.DeletionRequestedAt is not null)
                errors.Add(at, $"Network '{network.Name}' is being deleted.");
        }

        var vms = await store.GetManyAsync(Kinds.Vms.Name, spec.Forwards.Select(f => f.VmId), reading, ct);
        for (var i = 0; i < spec.Forwards.Count; i++)
        {
            var forward = spec.Forwards[i];
            if (forward.VmId == Guid.Empty) continue;
            var at = $"spec.forwards[{i}].vmId";
            // Someone else's VM, or one Kraut keeps, is "not found", exactly as reading it would say.
            if (!vms.TryGetValue(forward.VmId, out var row) || row.IsSystem || !OwnersMatch(row.Owner))
            {
                errors.Add(at, new NotFoundException(Kinds.Vms.Singular, forward.VmId).Detail);
                continue;
            }
            var vm = KrautJson.Deserialize<VmSpec>(row.Spec);
            if (!vm.Nics.Any(n => spec.NetworkIds.Contains(n.NetworkId)))
                errors.Add(at, $"VM '{row.Name}' has no NIC on a network this firewall is attached to; a forward reaches a VM through the router of its network.");
        }
        return spec;
    }

    /// <summary>One firewall per network, decided inside the write's transaction (SQLite: writers queue), so it holds under races.</summary>
    public async Task<FirewallSpec> WritingAsync(Guid id, FirewallSpec spec, FirewallSpec? previous, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        for (var i = 0; i < spec.NetworkIds.Count; i++)
        {
            var networkId = spec.NetworkIds[i];
            var holders = (await reader.MentioningAsync<FirewallSpec>(Kinds.Firewalls, networkId, ct))
                .Where(f => f.Id != id && f.Spec.NetworkIds.Contains(networkId)).ToList();
            if (holders.Count == 0) continue;
            var named = holders.Where(h => actor.MaySee(h.Owner, h.IsSystem)).Select(h => $"'{h.Name}'").DefaultIfEmpty("one you cannot see").First();
            errors.Add($"spec.networkIds[{i}]", $"This network already has a firewall ({named}); a network has at most one. Detach it there first, or add your rules to it.");
        }
        return spec;
    }

    public FirewallStatus InitialStatus(FirewallSpec spec) => new();

    // Routers read their firewall when they apply; a firewall that goes leaves its networks with the default policies.
    public Task EnsureDeletableAsync(Resource<FirewallSpec, FirewallStatus> existing, Actor actor, CancellationToken ct) => Task.CompletedTask;

    // Routers follow firewalls through the change feed (every stored change is published there).
    public void Changed(Guid id) { }
}
