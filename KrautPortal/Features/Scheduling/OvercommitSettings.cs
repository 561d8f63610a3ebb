using KrautPortal.Features.Hosts;
using KrautPortal.Features.Store;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Scheduling;

/// <summary>What one stored overcommit object holds: its host (null: the installation's) and the values set there.</summary>
public sealed record OvercommitSpec(string? Host, double? Cpu = null, double? Memory = null, double? Disk = null, long? ReservedMemoryMiB = null)
{
    public OvercommitValues Values => new(Cpu, Memory, Disk, ReservedMemoryMiB);

    public static OvercommitSpec Of(string? host, OvercommitValues v) => new(host, v.Cpu, v.Memory, v.Disk, v.ReservedMemoryMiB);
}

/// <summary>
/// Overcommit set by administrators at runtime, kept as versioned objects in the store (kind <c>overcommits</c>, history
/// and all, like quotas) under an owner no person has: one named <c>installation</c>, one per host that has values of
/// its own (named by its host id: URIs can be longer than a name may be). Hosts are configuration, not objects, so the
/// values cannot live in a host's spec; the <c>Capacity</c> configuration stays the default under both. Scoped: inside a
/// create's transaction <see cref="ReadAsync"/> sees what that transaction sees.
/// </summary>
public sealed class OvercommitSettings(ResourceStore store, IOptions<OvercommitOptions> defaults)
{
    public static readonly KindInfo Kind = new("overcommits", "overcommit", "overcommits");

    /// <summary>The owner of every overcommit object: not a user or group name (htpasswd names cannot hold ':').</summary>
    public const string Owner = "kraut:overcommit";

    public const string InstallationName = "installation";

    public static string NameOf(string? host) => host is null ? InstallationName : "host-" + HostIds.For(host);

    /// <summary>Every host's effective overcommit: one small query (the objects of one kind and owner).</summary>
    public async Task<HostOvercommits> ReadAsync(CancellationToken ct)
    {
        OvercommitValues? installation = null;
        var hosts = new Dictionary<string, OvercommitValues>(StringComparer.Ordinal);
        foreach (var row in await store.ListOwnedAsync(Kind.Name, Owner, ct))
        {
            var spec = KrautJson.Deserialize<OvercommitSpec>(row.Spec);
            if (spec.Host is null) installation = spec.Values;
            else hosts[spec.Host] = spec.Values;
        }
        return new HostOvercommits(defaults.Value, installation, hosts);
    }

    /// <summary>
    /// Sets the values of <paramref name="host"/> (null: the installation's), a new version in its history. Values all
    /// null clear the level (the object stays, so its history goes on in one place). Checked first with <see cref="OvercommitLimits"/>.
    /// </summary>
    public async Task SetAsync(string? host, OvercommitValues values, Actor actor, CancellationToken ct)
    {
        DemandAdmin(actor);
        var name = NameOf(host);
        var spec = KrautJson.Serialize(OvercommitSpec.Of(host, values));
        for (var attempt = 1; ; attempt++)
        {
            var existing = (await store.FindByNamesAsync(Kind.Name, Owner, [name], ct)).FirstOrDefault();
            try
            {
                if (existing is null)
                {
                    await store.CreateAsync(new NewResource(Kind.Name, name, Owner, [], spec, "{}"), actor, ct);
                }
                else
                {
                    await store.UpdateAsync(Kind.Name, existing.Id, null, actor, r =>
                    {
                        r.Spec = spec;
                        return values.IsEmpty ? "overcommit cleared" : "overcommit changed";
                    }, ct);
                }
                return;
            }
            catch (ConflictException) when (existing is null && attempt < 3)
            {
                // Another administrator set this level's first values at the same moment: change theirs instead.
            }
        }
    }

    /// <summary>Every change of <paramref name="host"/>'s values (null: the installation's), newest first; empty when never set.</summary>
    public async Task<IReadOnlyList<HistoryEntry>> HistoryAsync(string? host, Actor actor, CancellationToken ct)
    {
        DemandAdmin(actor);
        var row = (await store.FindByNamesAsync(Kind.Name, Owner, [NameOf(host)], ct)).FirstOrDefault();
        return row is null ? [] : await store.HistoryAsync(Kind.Name, row.Id, actor, ct);
    }

    public static void DemandAdmin(Actor actor)
    {
        if (!actor.IsAdmin)
            throw new ForbiddenException("Only administrators see and set overcommit: it decides how much of every host all tenants' VMs may be promised.");
    }
}
