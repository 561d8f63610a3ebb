using System.Text.Json.Nodes;
using KrautPortal.Features.AddressPools;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Routers;

/// <summary>
/// Kraut's uplink: the one network every router without an upstream of its own routes to, NATed by the host. A system
/// network (hidden from users) owned by the shared pool, with a /24 of the default address pool; made on first need.
/// </summary>
public sealed class RouterUplink : IDisposable
{
    /// <summary>The label that finds the uplink again; no person can put it on a system network.</summary>
    public const string Marker = "kraut-uplink";
    public const string Name = "kraut-uplink";

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The uplink's id, made now if there is none yet (one at a time, so two routers never make two).</summary>
    public async Task<Guid> EnsureAsync(IServiceProvider services, CancellationToken ct)
    {
        var reader = services.GetRequiredService<KindReader>();
        if (await FindAsync(reader, ct) is { } found) return found;
        await _gate.WaitAsync(ct);
        try
        {
            if (await FindAsync(reader, ct) is { } again) return again;
            var (ipv4, _) = await services.GetRequiredService<AddressPoolPolicy>().SuggestAsync(Actor.System, ct);
            if (ipv4 is null) throw new RouterException("No free /24 is left in the address pools for Kraut's uplink network; an administrator must add a pool range.");
            var spec = new NetworkSpec
            {
                Ipv4Cidr = ipv4,
                Gateway = new GatewaySpec { Kind = GatewayKind.Host, Nat = true },
                Description = "Kraut's uplink: routers without an upstream network of their own reach the outside through it, NATed by the host.",
            };
            var networks = services.GetRequiredService<ResourceService<NetworkSpec, NetworkStatus>>().AsKraut();
            var created = await networks.CreateAsync(new ResourceInput<NetworkSpec>(Name, new JsonObject { [Marker] = "true" }, spec, Actor.SharedOwner),
                ct, isSystem: true);
            return created.Id;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>The uplink's id, or null while no router has needed one.</summary>
    public static async Task<Guid?> FindAsync(KindReader reader, CancellationToken ct)
    {
        var candidates = await reader.SpecsAsync<NetworkSpec>(Kinds.Networks, ct,
            r => r.IsSystem && r.Owner == Actor.SharedOwner && r.Name == Name && r.DeletionRequestedAt == null);
        return candidates.Count > 0 ? candidates[0].Id : null;
    }
}

/// <summary>Something a router needs that Kraut cannot provide now; said in the router's status.</summary>
public sealed class RouterException(string message) : Exception(message);
