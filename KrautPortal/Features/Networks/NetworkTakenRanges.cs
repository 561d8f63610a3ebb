using System.Net;
using KrautPortal.Features.AddressPools;
using KrautPortal.Features.Networks.HostFacts;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Networks;

/// <summary>Answers <see cref="ITakenRanges"/>: every Kraut network's ranges and the host's own, Kraut's bridges left out.</summary>
public sealed class NetworkTakenRanges(KindReader reader, DbSession session, IHostNetworkFacts hostFacts) : ITakenRanges
{
    private KrautDbContext db => session.Db;

    public async Task<IReadOnlyList<IPNetwork>> TakenAsync(CancellationToken ct)
    {
        var networks = await reader.SpecsAsync<NetworkSpec>(Kinds.Networks, ct);
        var taken = networks.SelectMany(n => NetworkRanges.Of(n.Spec)).Select(r => r.Range).ToList();
        var bridges = await HostOverlap.KrautBridgesAsync(db, ct);
        taken.AddRange(hostFacts.Read().Where(c => c.Interface is null || !bridges.Contains(c.Interface)).Select(c => c.Range));
        return taken;
    }
}
