using KrautPortal.Features.Hosts;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Scheduling;

/// <summary>
/// An administrator's change of overcommit, for the API and the portal alike: checked against <see cref="OvercommitLimits"/>
/// (the reserve against each host it would apply to, by the memory the host last reported), then stored. Scoped.
/// </summary>
public sealed class OvercommitChanges(OvercommitSettings settings, HostRegistry hosts, NodeFactsCache nodes)
{
    /// <summary>Sets the values of <paramref name="host"/> (null: the installation's); 403 for non-administrators, 422 naming the field.</summary>
    public async Task<HostOvercommits> SetAsync(KrautHost? host, OvercommitValues values, Actor actor, CancellationToken ct)
    {
        OvercommitSettings.DemandAdmin(actor);
        var current = await settings.ReadAsync(ct);
        OvercommitLimits.Check(values, await ReserveAppliesToAsync(host, current));
        await settings.SetAsync(host?.Uri, values, actor, ct);
        return await settings.ReadAsync(ct);
    }

    /// <summary>
    /// The hosts whose memory a reserve set at this level must stay under, with their memory in MiB: the host itself, or
    /// for the installation every host without a reserve of its own. Hosts never reached are left out (nothing to check against).
    /// </summary>
    public async Task<IReadOnlyList<(string Host, long MemoryMiB)>> ReserveAppliesToAsync(KrautHost? host, HostOvercommits current)
    {
        var list = new List<(string, long)>();
        var targets = host is not null ? [host] : hosts.Hosts.Where(h => current.Hosts.GetValueOrDefault(h.Uri)?.ReservedMemoryMiB is null);
        foreach (var h in targets)
            if ((await nodes.GetAsync(h, waitForFresh: false)).Facts is { } facts) list.Add((h.Uri, (long)(facts.MemoryKiB / 1024)));
        return list;
    }
}
