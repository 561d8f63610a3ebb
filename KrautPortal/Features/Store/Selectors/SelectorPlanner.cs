using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Store.Selectors;

/// <summary>
/// Decides where a listing query starts. Walking the kind's (Kind, Name, Seq) index and checking each object's labels
/// stops after one page when matches are common, but reads every object when they are rare. The cheapest way depends
/// on how many objects the rarest '=', 'in' or 'exists' requirement names, which SQLite cannot know (no statistics per
/// value; the portal never runs ANALYZE): so count it first, in the (Kind, Key, Value) index and no further than
/// <see cref="SetAtMost"/>. Measured on 100,000 VMs (benchmarks/RESULTS.md): fetching and sorting a thousand objects
/// costs about a millisecond; reading a few thousand into a set costs less than probing every walked object's labels;
/// above ten thousand, a page fills after a few hundred probes.
/// </summary>
public static class SelectorPlanner
{
    /// <summary>At most this many objects named: start from the labels, fetch them and sort (<see cref="LeadMode.StartFrom"/>).</summary>
    public const int StartFromAtMost = 1_000;

    /// <summary>At most this many: read them into a set and walk the name index keeping members (<see cref="LeadMode.Set"/>).</summary>
    public const int SetAtMost = 10_000;

    public static async Task<LeadLabel?> ChooseLeadAsync(KrautDbContext db, ISelectorSqlDialect dialect, string kind, Selector selector, CancellationToken ct)
    {
        var candidates = selector.Requirements
            .Where(r => r.Operator is SelectorOperator.Equals or SelectorOperator.In or SelectorOperator.Exists).Distinct().ToList();
        if (candidates.Count == 0) return null;
        var count = dialect.CountLabels(kind, candidates, SetAtMost);
        var counts = await db.Database.SqlQueryRaw<LabelCount>(count.Sql, count.Parameters.ToArray()).ToListAsync(ct);
        var fewest = counts.OrderBy(c => c.Value).ThenBy(c => c.I).First();
        return fewest.Value switch
        {
            <= StartFromAtMost => new LeadLabel(kind, candidates[fewest.I], LeadMode.StartFrom),
            <= SetAtMost => new LeadLabel(kind, candidates[fewest.I], LeadMode.Set),
            _ => null,
        };
    }

    private sealed record LabelCount(int I, int Value);
}
