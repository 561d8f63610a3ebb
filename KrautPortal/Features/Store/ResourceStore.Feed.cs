using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Store;

public sealed partial class ResourceStore
{
    /// <summary>
    /// Versions of objects of every kind, newest first, for a trail across kinds (the audit view). Each version is
    /// visible exactly when its object's history is (<see cref="HistoryAsync"/>): the object is visible to a plain GET,
    /// or, once deleted, its last snapshot would have been.
    /// </summary>
    public async Task<HistoryFeedPage> HistoryFeedAsync(HistoryFeedQuery query, Actor actor, CancellationToken ct)
    {
        var rows = db.History.AsNoTracking();
        if (!actor.IsAdmin || actor.Scope is not null)
        {
            var visible = Rows(actor).Select(r => r.Id);
            var existing = db.Resources.Select(r => r.Id);
            rows = rows.Where(h => visible.Contains(h.ResourceId) || !existing.Contains(h.ResourceId));
        }
        if (query.ChangedBy is { } person)
        {
            var byToken = person + " (token ";
            rows = rows.Where(h => h.ChangedBy == person || h.ChangedBy.StartsWith(byToken));
        }
        if (query.Kind is { } kind) rows = rows.Where(h => h.Kind == kind);
        if (query.ResourceIds is { } ids) rows = rows.Where(h => ids.Contains(h.ResourceId));
        if (query.ChangeContains is { } change) rows = rows.Where(h => h.Change.Contains(change));
        if (query.From is { } from) rows = rows.Where(h => h.ChangedAt >= from);
        if (query.To is { } to) rows = rows.Where(h => h.ChangedAt <= to);

        var items = new List<HistoryFeedEntry>();
        var before = query.Before;
        // Versions of deleted objects are judged in memory, so a batch may shrink; a few more batches fill the page.
        for (var round = 0; round < 10 && items.Count <= query.Limit; round++)
        {
            var batch = rows;
            if (before is { } b)
            {
                var (at, seqBelow) = (b.At, b.SeqBelow);
                batch = batch.Where(h => h.ChangedAt < at || (h.ChangedAt == at && h.Seq < seqBelow));
            }
            var candidates = await batch.OrderByDescending(h => h.ChangedAt).ThenByDescending(h => h.Seq).Take(query.Limit + 1)
                .Select(h => new { h.Seq, h.Kind, h.ResourceId, h.Version, h.ChangedAt, h.ChangedBy, h.Change, h.Snapshot }).ToListAsync(ct);
            if (candidates.Count == 0) break;
            var reachable = await ReachableAsync(candidates.Select(c => c.ResourceId).Distinct().ToList(), actor, ct);
            foreach (var c in candidates.Where(c => reachable.Contains(c.ResourceId)))
                items.Add(new HistoryFeedEntry(c.Seq, c.Kind, c.ResourceId, KrautJson.Deserialize<Snapshot>(c.Snapshot).Name, c.Version, c.ChangedAt, c.ChangedBy, c.Change));
            if (candidates.Count <= query.Limit) return new HistoryFeedPage(items.Take(query.Limit).ToList(), items.Count > query.Limit);
            before = (candidates[^1].ChangedAt, candidates[^1].Seq);
        }
        return new HistoryFeedPage(items.Take(query.Limit).ToList(), true);
    }

    /// <summary>Of these objects, those whose history the actor may read; SQL has already let through only visible or deleted ones.</summary>
    private async Task<HashSet<Guid>> ReachableAsync(List<Guid> ids, Actor actor, CancellationToken ct)
    {
        if (actor.IsAdmin && actor.Scope is null) return [.. ids];
        var existing = await db.Resources.AsNoTracking().Where(r => ids.Contains(r.Id)).Select(r => r.Id).ToListAsync(ct);
        var deleted = ids.Except(existing).ToList();
        var reachable = new HashSet<Guid>(existing);
        if (deleted.Count == 0) return reachable;
        var last = await db.History.AsNoTracking()
            .Where(h => deleted.Contains(h.ResourceId) && h.Version == db.History.Where(x => x.ResourceId == h.ResourceId).Max(x => x.Version))
            .Select(h => new { h.ResourceId, h.Snapshot }).ToListAsync(ct);
        foreach (var row in last)
            if (MayReachDeleted(actor, KrautJson.Deserialize<Snapshot>(row.Snapshot))) reachable.Add(row.ResourceId);
        return reachable;
    }
}

/// <summary>Which versions <see cref="ResourceStore.HistoryFeedAsync"/> lists.</summary>
/// <param name="ChangedBy">A person: their own changes and their tokens' (history names those <c>alice (token …)</c>).</param>
/// <param name="ChangeContains">Part of the change's description (<c>action: start</c>, <c>created</c>).</param>
/// <param name="Before">Only versions older than this position: changed earlier, or at the same time with a smaller Seq.</param>
public sealed record HistoryFeedQuery(int Limit, string? ChangedBy = null, string? Kind = null, IReadOnlyCollection<Guid>? ResourceIds = null,
    string? ChangeContains = null, DateTime? From = null, DateTime? To = null, (DateTime At, long SeqBelow)? Before = null);

/// <summary>One version of some object: what changed, by whom, when; Name as it was then.</summary>
public sealed record HistoryFeedEntry(long Seq, string Kind, Guid ResourceId, string Name, long Version, DateTime ChangedAt, string ChangedBy, string Change);

public sealed record HistoryFeedPage(IReadOnlyList<HistoryFeedEntry> Items, bool More);
