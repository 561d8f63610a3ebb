using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Store;

/// <summary>
/// Typed reads of one kind's current records for code that is not answering a user: reconcilers, start-up sweeps and
/// other features' rules. It is the one place outside <see cref="ResourceStore"/> that filters rows by kind and turns
/// their JSON into specs, so a feature reads another kind through that kind's types, never through its table layout.
/// No authorization happens here: whatever is shown to a user goes through <see cref="ResourceStore"/> instead, or
/// checks <c>Actor.MaySee</c> on the <see cref="Record{TSpec}.Owner"/> and <see cref="Record{TSpec}.IsSystem"/> it gets.
/// </summary>
public sealed partial class KindReader(DbSession session)
{
    private KrautDbContext db => session.Db;

    // Both providers' selector SQL (DatabaseSetup); the same text on SQLite and PostgreSQL.
    private static readonly Selectors.LabelSelectorSql SelectorSql = new();

    /// <summary>The rows of one kind, untracked, for a query this class does not offer (count, exists, projections).</summary>
    public IQueryable<ResourceRow> Rows(KindInfo kind) => db.Resources.AsNoTracking().Where(r => r.Kind == kind.Name);

    /// <summary>
    /// The rows of <paramref name="kind"/> a selector matches, untracked, through the same SQL and planning as a listing
    /// (<see cref="Selectors.SelectorPlanner"/>: a rare label leads), for a caller to narrow and project further.
    /// </summary>
    public async Task<IQueryable<ResourceRow>> MatchingAsync(KindInfo kind, Selectors.Selector selector, CancellationToken ct)
    {
        if (selector.IsEmpty) return Rows(kind);
        var lead = await Selectors.SelectorPlanner.ChooseLeadAsync(db, SelectorSql, kind.Name, selector, ct);
        var select = SelectorSql.Select(selector, lead, kind.Name);
        // The fragment is the dialect's own SQL text with {n} placeholders; every value is a parameter.
#pragma warning disable EF1003
        return db.Resources.FromSqlRaw(select.Sql, select.Parameters.ToArray()).AsNoTracking().Where(r => r.Kind == kind.Name);
#pragma warning restore EF1003
    }

    public async Task<List<Guid>> IdsAsync(KindInfo kind, CancellationToken ct) =>
        await Rows(kind).Select(r => r.Id).ToListAsync(ct);

    public async Task<bool> ExistsAsync(KindInfo kind, Guid id, CancellationToken ct) =>
        await Rows(kind).AnyAsync(r => r.Id == id, ct);

    /// <summary>Every record of <paramref name="kind"/> (optionally narrowed in SQL by <paramref name="where"/>) with its typed spec.</summary>
    public async Task<IReadOnlyList<Record<TSpec>>> SpecsAsync<TSpec>(KindInfo kind, CancellationToken ct,
        Expression<Func<ResourceRow, bool>>? where = null)
    {
        var rows = await Narrow(Rows(kind), where)
            .Select(r => new { r.Id, r.Name, r.Owner, r.IsSystem, r.DeletionRequestedAt, r.Spec }).ToListAsync(ct);
        return rows.Select(r => new Record<TSpec>(r.Id, r.Name, r.Owner, r.IsSystem, r.DeletionRequestedAt is not null,
            KrautJson.Deserialize<TSpec>(r.Spec))).ToList();
    }

    /// <summary>
    /// The records of <paramref name="kind"/> whose spec mentions <paramref name="id"/> (a reference to another object):
    /// a LIKE narrows the rows in SQL, the caller's typed check on the spec decides.
    /// </summary>
    public Task<IReadOnlyList<Record<TSpec>>> MentioningAsync<TSpec>(KindInfo kind, Guid id, CancellationToken ct)
    {
        var needle = "%" + id.ToString() + "%";
        return SpecsAsync<TSpec>(kind, ct, r => EF.Functions.Like(r.Spec, needle));
    }

    /// <summary>Every record of <paramref name="kind"/> with typed spec and status.</summary>
    public async Task<IReadOnlyList<Resource<TSpec, TStatus>>> AllAsync<TSpec, TStatus>(KindInfo kind, CancellationToken ct,
        Expression<Func<ResourceRow, bool>>? where = null) =>
        (await Narrow(Rows(kind), where).ToListAsync(ct)).Select(Resource<TSpec, TStatus>.FromRow).ToList();

    public async Task<Resource<TSpec, TStatus>?> FindAsync<TSpec, TStatus>(KindInfo kind, Guid id, CancellationToken ct) =>
        await Rows(kind).FirstOrDefaultAsync(r => r.Id == id, ct) is { } row ? Resource<TSpec, TStatus>.FromRow(row) : null;

    /// <summary>The typed status of every record of <paramref name="kind"/>, by id.</summary>
    public async Task<IReadOnlyDictionary<Guid, TStatus>> StatusesAsync<TStatus>(KindInfo kind, CancellationToken ct) =>
        (await Rows(kind).Select(r => new { r.Id, r.Status }).ToListAsync(ct))
            .ToDictionary(r => r.Id, r => KrautJson.Deserialize<TStatus>(r.Status));

    private static IQueryable<ResourceRow> Narrow(IQueryable<ResourceRow> rows, Expression<Func<ResourceRow, bool>>? where) =>
        where is null ? rows : rows.Where(where);
}

/// <summary>One record as another feature sees it: who owns it, whether it is going away, and its typed spec.</summary>
public sealed record Record<TSpec>(Guid Id, string Name, string Owner, bool IsSystem, bool Deleting, TSpec Spec);
