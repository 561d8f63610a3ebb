using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Networks;

public sealed class NetworkRules(ResourceStore store, KrautDbContext db, NetworkReconciler reconciler) : IResourceRules<NetworkSpec, NetworkStatus>
{
    public KindInfo Kind => Kinds.Networks;
    public bool DeletesAsynchronously => true;

    public async Task<NetworkSpec> PrepareAsync(NetworkSpec spec, Resource<NetworkSpec, NetworkStatus>? existing, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (!Ipv4Subnet.TryParse(spec.Ipv4Cidr, out var subnet, out var problem))
        {
            errors.Add("spec.ipv4Cidr", problem);
            return spec;
        }
        if (existing is not null && existing.Spec.Ipv4Cidr != spec.Ipv4Cidr)
        {
            errors.Add("spec.ipv4Cidr", "The subnet of an existing network cannot change; create a new network instead.");
        }
        // Overlaps are checked across all owners: they would share one host's routing table. Only networks the
        // actor may see are named.
        var others = await db.Resources.AsNoTracking()
            .Where(r => r.Kind == Kinds.Networks.Name && r.Id != (existing == null ? Guid.Empty : existing.Id))
            .Select(r => new { r.Name, r.Owner, r.IsSystem, r.Spec }).ToListAsync(ct);
        foreach (var other in others)
        {
            var otherSpec = KrautJson.Deserialize<NetworkSpec>(other.Spec);
            if (Ipv4Subnet.TryParse(otherSpec.Ipv4Cidr, out var otherSubnet, out _) && subnet.Overlaps(otherSubnet))
            {
                errors.Add("spec.ipv4Cidr", actor.MaySee(other.Owner, other.IsSystem)
                    ? $"{subnet} overlaps network '{other.Name}' ({otherSubnet})."
                    : $"{subnet} overlaps a network you cannot see; pick another subnet.");
            }
        }
        return spec with { Ipv4Cidr = subnet.ToString() };
    }

    public NetworkStatus InitialStatus(NetworkSpec spec) => new();

    public async Task EnsureDeletableAsync(Resource<NetworkSpec, NetworkStatus> existing, Actor actor, CancellationToken ct)
    {
        await store.EnsureUnreferencedAsync<VmSpec>(Kinds.Vms, existing.Id, vm => vm.Nics.Any(n => n.NetworkId == existing.Id),
            $"Network '{existing.Name}'", "Remove their NICs on it first.", actor, ct);
    }

    public void Changed(Guid id) => reconciler.Enqueue(id);
}
