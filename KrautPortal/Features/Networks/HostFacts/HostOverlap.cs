using System.Net;
using KrautPortal.Features.AddressPools;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Networks.HostFacts;

/// <summary>
/// A network's subnet or prefix must not overlap anything the host uses itself (addresses, routes, DNS server):
/// routing such a range into a bridge would take it away from the host. Kraut's own bridges are left out, as
/// networks are compared with each other elsewhere (and a network's own bridge is its range).
/// </summary>
public static class HostOverlap
{
    public sealed record Problem(string Field, string Message);

    public static IReadOnlyList<Problem> Find(NetworkSpec spec, IReadOnlyList<HostClaim> claims, IReadOnlySet<string> krautBridges)
    {
        var problems = new List<Problem>();
        if (Ipv4Subnet.TryParse(spec.Ipv4Cidr, out var subnet, out _))
            Check("spec.ipv4Cidr", new IPNetwork(Ipv4Subnet.ToIp(subnet.Network), subnet.Prefix), "subnet", claims, krautBridges, problems);
        if (Ipv6Prefix.TryParse(spec.Ipv6Prefix, out var prefix, out _))
            Check("spec.ipv6Prefix", new IPNetwork(Ipv6Prefix.ToIp(prefix.Network), prefix.Length), "prefix", claims, krautBridges, problems);
        return problems;
    }

    private static void Check(string field, IPNetwork range, string noun, IReadOnlyList<HostClaim> claims, IReadOnlySet<string> krautBridges, List<Problem> problems)
    {
        var taken = claims.Where(c => (c.Interface is null || !krautBridges.Contains(c.Interface)) && IpRanges.Overlaps(range, c.Range))
            .Select(c => c.What).Distinct().ToList();
        if (taken.Count == 0) return;
        problems.Add(new Problem(field, $"{range} overlaps what this host uses itself: the {string.Join("; the ", taken)}. Pick another {noun}."));
    }

    /// <summary>The bridges of this installation's networks, as the reconciler last saw them.</summary>
    public static async Task<HashSet<string>> KrautBridgesAsync(KrautDbContext db, CancellationToken ct)
    {
        var statuses = await new KindReader(DbSession.Over(db)).StatusesAsync<NetworkStatus>(Kinds.Networks, ct);
        return statuses.Values.Select(s => s.Bridge).OfType<string>().Where(b => b.Length > 0).ToHashSet();
    }
}
