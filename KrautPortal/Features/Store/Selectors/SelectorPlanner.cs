using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Store.Selectors;

/// <summary>
/// Decides where a listing query starts. Walking the kind's (Kind, Name, Seq) index and checking each object's labels
/// stops after one page when matches are common, but reads every object when they are rare; starting from the
/// labels of one '=', 'in' or 'exists' requirement reads only the objects it names, then sorts them. Which is cheaper
/// depends on how many objects the value names, which SQLite cannot know (no statistics per value; the portal never
/// runs ANALYZE): so count it first, in the index and no further than <see cref="LeadAtMost"/>.
/// </summary>
public static class SelectorPlanner
{
    /// <summary>
    /// At most this many objects named, the query starts from the labels. Sorting a few thousand rows costs about what
    /// walking the name index costs to fill a page when one object in a few thousand matches (benchmarks/RESULTS.md).
    /// </summary>
    public const int LeadAtMost = 4_000;

    public static async Task<LeadLabel?> ChooseLeadAsync(KrautDbContext db, ISelectorSqlDialect dialect, string kind, Selector selector, CancellationToken ct)
    {
        var candidates = selector.Requirements
            .Where(r => r.Operator is SelectorOperator.Equals or SelectorOperator.In or SelectorOperator.Exists).Distinct().ToList();
        if (candidates.Count == 0) return null;
        var count = dialect.CountLabels(kind, candidates, LeadAtMost);
        var counts = await db.Database.SqlQueryRaw<LabelCount>(count.Sql, count.Parameters.ToArray()).ToListAsync(ct);
        var fewest = counts.OrderBy(c => c.Value).ThenBy(c => c.I).First();
        return fewest.Value <= LeadAtMost ? new LeadLabel(kind, candidates[fewest.I]) : null;
    }

    private sealed record LabelCount(int I, int Value);
}
