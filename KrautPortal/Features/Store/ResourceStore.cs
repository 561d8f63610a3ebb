using System.Globalization;
using System.Text.Json.Nodes;
using KrautPortal.Features.Store.Selectors;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Store;

/// <summary>
/// Versioned storage shared by every kind: each change of desired state bumps the version and writes
/// a full snapshot to history in the same transaction. Observed status is written apart, without a version.
/// </summary>
public sealed partial class ResourceStore(DbSession session, DatabaseProvider provider, ChangeFeed feed, TimeProvider time, IReplicaBroadcast broadcast)
{
    private KrautDbContext db => session.Db;

    /// <summary>
    /// Takes this call's context before a helper does: in a circuit the context belongs to the async call that first asks
    /// (<see cref="DbSession"/>), and a write that loads its row through a helper must save through the same context.
    /// </summary>
    private void Pin() => _ = session.Db;

    /// <summary>
    /// Runs <paramref name="work"/> in one database transaction, for rows kept beside an object (IP and MAC allocations)
    /// that must change with it or not at all. Changes are announced only after the commit, so nobody reads them early.
    /// Nested calls join the outer transaction. On SQLite the transaction starts IMMEDIATE: writers queue instead of
    /// failing halfway.
    /// </summary>
    public async Task<T> InTransactionAsync<T>(Func<Task<T>> work, CancellationToken ct)
    {
        var db = this.db;
        if (db.Database.CurrentTransaction is not null) return await work();
        if (provider.TransactionQueue is { } queue) await queue.WaitAsync(ct);
        var unpublished = db.Unpublished = [];
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var result = await work();
            // Told to the other replicas in the same transaction: a write rolled back tells nobody.
            await broadcast.SendAsync(db, unpublished, ct);
            await transaction.CommitAsync(ct);
            foreach (var change in unpublished) feed.Publish(change);
            return result;
        }
        catch
        {
            db.ChangeTracker.Clear();
            throw;
        }
        finally
        {
            db.Unpublished = null;
            provider.TransactionQueue?.Release();
        }
    }

    /// <summary>
    /// Holds back every other transaction that locks the same owner until this one ends: a check over the owner's objects
    /// (a quota) then stays true until the write it allows commits. Call inside <see cref="InTransactionAsync{T}"/>. A no-op
    /// on SQLite, whose transactions already run one at a time (<see cref="DatabaseProvider.TransactionQueue"/>).
    /// </summary>
    public Task LockOwnerAsync(string owner, CancellationToken ct) => db.LockForTransactionAsync("owner:" + owner, ct);

    /// <summary>
    /// Inside a transaction: waits for the lock named <paramref name="name"/>, held until the transaction ends, so writers
    /// that read-then-decide under one name (placement) take turns across every replica.
    /// </summary>
    public Task LockAsync(string name, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is null) throw new InvalidOperationException("A lock is taken inside a transaction.");
        return db.LockForTransactionAsync("lock:" + name, ct);
    }

    /// <summary>Inside <see cref="InTransactionAsync{T}"/>: after the commit. Otherwise the write has committed: now.</summary>
    private async Task PublishAsync(ResourceChange change, CancellationToken ct)
    {
        if (db.Unpublished is { } unpublished)
        {
            unpublished.Add(change);
            return;
        }
        // After the commit, on its own: a crash in between loses the notice, and the replicas' periodic passes catch up.
        await broadcast.SendAsync(db, [change], ct);
        feed.Publish(change);
    }

    public async Task<ResourceRow> CreateAsync(NewResource item, Actor actor, CancellationToken ct)
    {
        Pin();
        if (item.IsSystem && !actor.IsKraut)
            throw new ForbiddenException($"Only Kraut itself makes system objects; {actor.Name} may not.");
        await EnsureNameFreeAsync(item.Kind, item.Owner, item.Name, null, ct);
        var now = Now();
        var row = new ResourceRow
        {
            Id = item.Id ?? Guid.CreateVersion7(),
            Kind = item.Kind,
            Name = item.Name,
            Owner = item.Owner,
            Metadata = KrautJson.Write(item.Metadata),
            Spec = item.SpecJson,
            Status = item.StatusJson,
            Version = 1,
            CreatedAt = now,
            UpdatedAt = now,
            IsSystem = item.IsSystem,
        };
        db.Resources.Add(row);
        db.History.Add(NewHistory(row, actor, "created"));
        await SaveAsync(row, ct);
        await PublishAsync(new ResourceChange(row.Kind, row.Id), ct);
        return row;
    }

    public async Task<ResourceRow?> FindAsync(string kind, Guid id, Actor actor, CancellationToken ct) =>
        await Rows(actor).FirstOrDefaultAsync(r => r.Kind == kind && r.Id == id, ct);

    public async Task<ResourceRow> GetAsync(string kind, Guid id, Actor actor, CancellationToken ct) =>
        await FindAsync(kind, id, actor, ct) ?? throw new NotFoundException(Kinds.Singular(kind), id);

    /// <summary>Rows of one kind with these ids, for checking references; ids the actor may not see are absent.</summary>
    public async Task<Dictionary<Guid, ResourceRow>> GetManyAsync(string kind, IEnumerable<Guid> ids, Actor actor, CancellationToken ct)
    {
        Pin();
        var wanted = ids.Distinct().ToList();
        var rows = await Rows(actor)
            .Where(r => r.Kind == kind && wanted.Contains(r.Id)).ToListAsync(ct);
        return rows.ToDictionary(r => r.Id);
    }

    public async Task<Page<ResourceRow>> ListAsync(string kind, ListQuery query, Actor actor, CancellationToken ct)
    {
        Pin();
        query.Validate();
        var selector = ParseSelector(query.Selector);
        var (field, descending) = query.ParseSort();
        var fingerprint = query.Fingerprint(kind);

        var rows = await FilterAsync(kind, selector, actor, ct);
        if (query.Name is { } name) rows = rows.Where(r => r.Name == name);
        if (query.Continue is { } token)
        {
            rows = AfterPosition(rows, field, descending, ContinueToken.Decode(token, fingerprint));
        }
        var page = await Order(rows, field, descending).Take(query.Limit + 1).ToListAsync(ct);

        string? next = null;
        if (page.Count > query.Limit)
        {
            page.RemoveAt(page.Count - 1);
            var last = page[^1];
            next = new ContinueToken(fingerprint, SortValue(last, field), last.Seq).Encode();
        }
        return new Page<ResourceRow>(page, next);
    }

    public async Task<int> CountAsync(string kind, string? selector, Actor actor, CancellationToken ct) =>
        await (await FilterAsync(kind, ParseSelector(selector), actor, ct)).CountAsync(ct);

    /// <summary>
    /// Every matching id, for acting on all objects a selector names. Never a system object, not even for administrators:
    /// only Kraut changes those, so a bulk action would only collect refusals for them.
    /// </summary>
    public async Task<List<Guid>> ListIdsAsync(string kind, string? selector, Actor actor, int max, CancellationToken ct) =>
        await Order((await FilterAsync(kind, ParseSelector(selector), actor, ct)).Where(r => !r.IsSystem), SortField.Name, false).Select(r => r.Id).Take(max).ToListAsync(ct);

    /// <summary>
    /// How many objects <paramref name="owner"/> has of each kind, system objects (made on their behalf) and those
    /// being deleted included: what a quota counts as their usage. Kinds they have none of are absent.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, int>> UsageAsync(string owner, CancellationToken ct) =>
        await db.Resources.AsNoTracking().Where(r => r.Owner == owner)
            .GroupBy(r => r.Kind).Select(g => new { Kind = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Kind, g => g.Count, ct);

    /// <summary>
    /// How many objects of each kind are in each phase, over everyone's objects (system objects and those being
    /// deleted included): one grouped read for an operator's figures. Kinds whose status has no phase have a null phase.
    /// </summary>
    public async Task<IReadOnlyList<KindPhaseCount>> CountByKindAndPhaseAsync(CancellationToken ct) =>
#pragma warning disable EF1002 // the SQL is the dialect's fixed text; there are no values
        await db.Database.SqlQueryRaw<KindPhaseCount>(
            $"SELECT \"Kind\", {db.Sql.JsonText("\"Status\"", "$.phase")} AS \"Phase\", CAST(COUNT(*) AS INTEGER) AS \"Count\" FROM \"resources\" GROUP BY 1, 2")
            .ToListAsync(ct);
#pragma warning restore EF1002

    /// <summary>
    /// Count and sums over <paramref name="owner"/>'s objects of one kind, in one query: what a quota measures. System
    /// objects (a router's VM) are Kraut's and not counted; objects being deleted are, as they still hold what they use.
    /// Runs inside the caller's transaction when there is one, so it sees what that transaction sees.
    /// </summary>
    public async Task<ResourceTotals> TotalsAsync(string kind, string owner, IReadOnlyList<JsonFigure> figures, CancellationToken ct)
    {
        Pin();
        // The JSON paths are the callers' fixed member paths, written into the SQL by the dialect; every value is a parameter.
        var values = new SqlValues();
        var sqlOf = db.Sql;
        var (kindValue, ownerValue) = (values.Add(kind), values.Add(owner));
        var sums = figures.Select(f =>
        {
            var value = sqlOf.JsonNumber($"r.\"{(f.InStatus ? "Status" : "Spec")}\"", f.Path);
            var scaled = $"COALESCE({value}, 0) * {values.Add(f.Factor)}";
            if (f.Fallback is not { } fb) return $"COALESCE(SUM({scaled}), 0)";
            var referenced = $"(SELECT {sqlOf.JsonNumber("o.\"Status\"", fb.StatusPath)} FROM \"resources\" o WHERE o.\"Kind\" = {values.Add(fb.Kind)} " +
                $"AND {sqlOf.IdEqualsText("o.\"Id\"", sqlOf.JsonText("r.\"Spec\"", fb.IdPath))})";
            return $"COALESCE(SUM(CASE WHEN COALESCE({value}, 0) = 0 THEN COALESCE({referenced}, 0) ELSE {scaled} END), 0)";
        }).ToList();
        var sql = $"SELECT COUNT(*) AS \"Count\"{string.Concat(sums.Select((s, i) => $", {s} AS \"S{i}\""))} FROM \"resources\" r " +
            $"WHERE r.\"Kind\" = {kindValue} AND r.\"Owner\" = {ownerValue} AND r.\"IsSystem\" = FALSE";
        var rows = await RawQuery.ReadAsync(db, sql, values, reader => new ResourceTotals(reader.GetInt64(0),
            Enumerable.Range(1, figures.Count).Select(i => RawQuery.Int64(reader, i)).ToList()), ct);
        return rows.Single();
    }

    /// <summary>
    /// Objects of one kind the actor may see whose status matches any of <paramref name="anyOf"/> (a failed phase, an error
    /// message set), newest change first, at most <paramref name="max"/>: what went wrong, found in SQL rather than by reading every object.
    /// </summary>
    public async Task<List<ResourceRow>> ListByStatusAsync(string kind, IReadOnlyList<StatusCondition> anyOf, Actor actor, int max, CancellationToken ct)
    {
        Pin();
        if (anyOf.Count == 0) return [];
        // The paths are the callers' fixed member paths, written by the dialect; values are parameters.
        var parameters = new List<object> { kind };
        var conditions = anyOf.Select(c =>
        {
            var value = db.Sql.JsonText("\"Status\"", c.Path);
            if (c.Value is null) return $"{value} IS NOT NULL";
            parameters.Add(c.Value);
            return $"{value} = {{{(parameters.Count - 1).ToString(CultureInfo.InvariantCulture)}}}";
        });
#pragma warning disable EF1002, EF1003 // the SQL is built from fixed fragments; every value is a parameter
        IQueryable<ResourceRow> rows = db.Resources.FromSqlRaw(
            $"SELECT * FROM \"resources\" WHERE \"Kind\" = {{0}} AND ({string.Join(" OR ", conditions)})", [.. parameters]).AsNoTracking();
#pragma warning restore EF1002, EF1003
        if (!actor.IsAdmin)
        {
            var owners = actor.ReadableOwners.ToList();
            rows = rows.Where(r => !r.IsSystem && owners.Contains(r.Owner));
        }
        return await rows.OrderByDescending(r => r.UpdatedAt).Take(max).ToListAsync(ct);
    }

    /// <summary>Finds one object by id whatever its kind (no visibility filter: callers judge with <see cref="Actor.MaySee"/>).</summary>
    public async Task<ResourceRow?> FindAnyKindAsync(Guid id, CancellationToken ct) =>
        await db.Resources.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);

    /// <summary>The objects of one kind and owner with these names (no visibility filter: for features that keep their own records here).</summary>
    public async Task<List<ResourceRow>> FindByNamesAsync(string kind, string owner, IReadOnlyCollection<string> names, CancellationToken ct) =>
        await db.Resources.AsNoTracking().Where(r => r.Kind == kind && r.Owner == owner && names.Contains(r.Name)).ToListAsync(ct);

    /// <summary>Every object of one kind and owner (no visibility filter), by name.</summary>
    public async Task<List<ResourceRow>> ListOwnedAsync(string kind, string owner, CancellationToken ct) =>
        await db.Resources.AsNoTracking().Where(r => r.Kind == kind && r.Owner == owner).OrderBy(r => r.Name).ToListAsync(ct);

    /// <summary>
    /// Applies <paramref name="mutate"/> to the stored row and saves it as a new version. The mutation returns
    /// a short description of the change, or null when nothing changed (then no version is written).
    /// Without an expected version a lost race is retried on fresh data; with one, it is a 412.
    /// </summary>
    public async Task<ResourceRow> UpdateAsync(string kind, Guid id, long? expectedVersion, Actor actor,
        Func<ResourceRow, string?> mutate, CancellationToken ct)
    {
        Pin();
        for (var attempt = 1; ; attempt++)
        {
            var row = await LoadForWriteAsync(kind, id, expectedVersion, actor, ct);

            var before = SnapshotJson(row);
            var (oldName, oldDeletion) = (row.Name, row.DeletionRequestedAt);
            var change = mutate(row);
            if (change is null || (SnapshotJson(row) == before && row.DeletionRequestedAt == oldDeletion))
            {
                db.ChangeTracker.Clear();
                return row;
            }
            if (row.Name != oldName) await EnsureNameFreeAsync(kind, row.Owner, row.Name, row.Id, ct);

            row.Version++;
            row.UpdatedAt = Now();
            db.History.Add(NewHistory(row, actor, change));
            try
            {
                await SaveAsync(row, ct);
            }
            catch (DbUpdateConcurrencyException) when (expectedVersion is null && attempt < 5)
            {
                continue;
            }
            catch (DbUpdateConcurrencyException)
            {
                db.ChangeTracker.Clear();
                var current = await db.Resources.AsNoTracking().Where(r => r.Id == id).Select(r => (long?)r.Version).FirstOrDefaultAsync(ct);
                if (current is null) throw new NotFoundException(Kinds.Singular(kind), id);
                throw new PreconditionFailedException(expectedVersion ?? row.Version - 1, current.Value);
            }
            db.ChangeTracker.Clear();
            await PublishAsync(new ResourceChange(kind, id), ct);
            return row;
        }
    }

    /// <summary>Marks an object whose real counterpart a reconciler must tear down before it is removed.</summary>
    public async Task<ResourceRow> RequestDeletionAsync(string kind, Guid id, long? expectedVersion, Actor actor, CancellationToken ct) =>
        await UpdateAsync(kind, id, expectedVersion, actor, row =>
        {
            row.DeletionRequestedAt = Now();
            return "deletion requested";
        }, ct);

    /// <summary>Removes the object for good; history keeps its last state and who removed it.</summary>
    public async Task DeleteAsync(string kind, Guid id, long? expectedVersion, Actor actor, CancellationToken ct)
    {
        Pin();
        var row = await LoadForWriteAsync(kind, id, expectedVersion, actor, ct);
        db.Resources.Remove(row);
        row.Version++;
        db.History.Add(NewHistory(row, actor, "deleted"));
        try
        {
            await SaveAsync(row, ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ConflictException($"The {Kinds.Singular(kind)} changed while it was being deleted; try again.");
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
        await PublishAsync(new ResourceChange(kind, id), ct);
    }

    /// <summary>Records what was observed. Not a new version: status is not something a person asked for.</summary>
    public async Task SetStatusAsync(string kind, Guid id, string statusJson, CancellationToken ct)
    {
        Pin();
        var changed = await db.Resources.Where(r => r.Kind == kind && r.Id == id && r.Status != statusJson)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, statusJson), ct);
        if (changed > 0) await PublishAsync(new ResourceChange(kind, id), ct);
    }

    public async Task<IReadOnlyList<HistoryEntry>> HistoryAsync(string kind, Guid id, Actor actor, CancellationToken ct)
    {
        Pin();
        await EnsureHistoryVisibleAsync(kind, id, actor, ct);
        return await db.History.AsNoTracking().Where(h => h.ResourceId == id && h.Kind == kind)
            .OrderByDescending(h => h.Version)
            .Select(h => new HistoryEntry(h.Version, h.ChangedAt, h.ChangedBy, h.Change))
            .ToListAsync(ct);
    }

    public async Task<HistoryVersion> GetVersionAsync(string kind, Guid id, long version, Actor actor, CancellationToken ct)
    {
        Pin();
        await EnsureHistoryVisibleAsync(kind, id, actor, ct);
        var h = await db.History.AsNoTracking().FirstOrDefaultAsync(h => h.ResourceId == id && h.Kind == kind && h.Version == version, ct)
            ?? throw new KrautNotFoundVersionException(Kinds.Singular(kind), id, version);
        return new HistoryVersion(h.Version, h.ChangedAt, h.ChangedBy, h.Change, KrautJson.Deserialize<Snapshot>(h.Snapshot));
    }

    /// <summary>
    /// Refuses (409) to let <paramref name="what"/> go while objects of <paramref name="kind"/> (any owner) refer to it,
    /// naming those <paramref name="actor"/> may see and counting the rest. <paramref name="refersTo"/> reads their typed
    /// spec; a LIKE on the id narrows the rows in SQL first.
    /// </summary>
    public async Task EnsureUnreferencedAsync<TSpec>(KindInfo kind, Guid id, Func<TSpec, bool> refersTo, string what, string advice, Actor actor, CancellationToken ct)
    {
        Pin();
        var needle = "%" + id.ToString() + "%";
        var candidates = await db.Resources.AsNoTracking()
            .Where(r => r.Kind == kind.Name && EF.Functions.Like(r.Spec, needle))
            .Select(r => new { r.Name, r.Owner, r.IsSystem, r.Spec }).ToListAsync(ct);
        var referrers = candidates.Where(c => refersTo(KrautJson.Deserialize<TSpec>(c.Spec))).ToList();
        if (referrers.Count == 0) return;
        var users = referrers.Where(c => actor.MaySee(c.Owner, c.IsSystem)).Select(c => c.Name).Order()
            .Concat(referrers.Where(c => !actor.MaySee(c.Owner, c.IsSystem)).Select(_ => "one you cannot see")).ToList();
        throw new ConflictException($"{what} is used by {users.Count} {(users.Count == 1 ? kind.Singular : kind.Plural)}: {string.Join(", ", users.Take(20))}{(users.Count > 20 ? ", …" : "")}. {advice}");
    }

    /// <summary>The rows of one kind the actor may see that match the selector; a selective label may lead (<see cref="SelectorPlanner"/>).</summary>
    private async Task<IQueryable<ResourceRow>> FilterAsync(string kind, Selector selector, Actor actor, CancellationToken ct)
    {
        var lead = await SelectorPlanner.ChooseLeadAsync(db, provider.Dialect, kind, new Selector([.. selector.Requirements, .. ScopeSelector(actor).Requirements]), ct);
        return Rows(actor, selector, lead: lead, kind: kind).Where(r => r.Kind == kind);
    }

    /// <summary>
    /// The rows an actor may see, optionally narrowed by a selector: owner (own, groups', shared), system objects
    /// hidden from non-admins, and a token's selector ANDed in, all in SQL.
    /// </summary>
    private IQueryable<ResourceRow> Rows(Actor actor, Selector? selector = null, bool tracked = false, LeadLabel? lead = null, string? kind = null)
    {
        var requirements = (selector?.Requirements ?? []).Concat(ScopeSelector(actor).Requirements).ToList();
        IQueryable<ResourceRow> rows = db.Resources;
        if (requirements.Count > 0)
        {
            var select = provider.Dialect.Select(new Selector(requirements), lead, kind);
            // The fragment is the dialect's own SQL text with {n} placeholders; every user value is a parameter.
#pragma warning disable EF1003
            rows = db.Resources.FromSqlRaw(select.Sql, select.Parameters.ToArray());
#pragma warning restore EF1003
        }
        if (!tracked) rows = rows.AsNoTracking();
        if (actor.IsAdmin) return rows;
        var owners = actor.ReadableOwners.ToList();
        return rows.Where(r => !r.IsSystem && owners.Contains(r.Owner));
    }

    /// <summary>A token's selector (validated when the token was made).</summary>
    public static Selector ScopeSelector(Actor actor) =>
        actor.Scope?.Selector is { Length: > 0 } text ? SelectorParser.Parse(text) : Selector.Everything;

    /// <summary>The row to change, tracked: visible to the actor (else 404), theirs to change (else 403), at the version they expect (else 412).</summary>
    private async Task<ResourceRow> LoadForWriteAsync(string kind, Guid id, long? expectedVersion, Actor actor, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var row = await Rows(actor, tracked: true).FirstOrDefaultAsync(r => r.Kind == kind && r.Id == id, ct);
        // The SQL and the in-memory reading of a token's selector must both reach the object before it is changed or
        // deleted: update checks the new metadata in memory, and delete must not be the one path that trusts SQL alone.
        if (row is null || !SelectorMatcher.Matches(ScopeSelector(actor), KrautJson.ParseObject(row.Metadata)))
        {
            db.ChangeTracker.Clear();
            throw new NotFoundException(Kinds.Singular(kind), id);
        }
        EnsureWritable(row, actor);
        if (expectedVersion is { } expected && expected != row.Version)
            throw new PreconditionFailedException(expected, row.Version);
        return row;
    }

    /// <summary>Shared objects are readable by everyone and changed by administrators only; system objects by Kraut only.</summary>
    public static void EnsureWritable(ResourceRow row, Actor actor)
    {
        EnsureNotSystem(row.IsSystem, row.Name, row.Owner, actor);
        if (!actor.MayAccessOwner(row.Owner))
            throw new ForbiddenException($"'{row.Name}' is shared by the administrators; you may use it but not change it.");
    }

    /// <summary>
    /// System objects (a network's router VM) follow what they serve, so only Kraut changes them. Their owner never
    /// gets this far (they cannot see them: 404); administrators see them and are told why not (403).
    /// </summary>
    public static void EnsureNotSystem(bool isSystem, string name, string owner, Actor actor)
    {
        if (isSystem && !actor.IsKraut)
            throw new ForbiddenException($"'{name}' is a system object Kraut keeps for {owner}; it changes with what it serves, not by hand.");
    }

    private static Selector ParseSelector(string? selector)
    {
        try
        {
            return SelectorParser.Parse(selector);
        }
        catch (SelectorParseException e)
        {
            throw new BadRequestException("Invalid selector", e.Message + $" (in \"{e.SelectorText}\")");
        }
    }

    private static IQueryable<ResourceRow> Order(IQueryable<ResourceRow> rows, SortField field, bool descending) => (field, descending) switch
    {
        (SortField.Name, false) => rows.OrderBy(r => r.Name).ThenBy(r => r.Seq),
        (SortField.Name, true) => rows.OrderByDescending(r => r.Name).ThenByDescending(r => r.Seq),
        (SortField.Created, false) => rows.OrderBy(r => r.CreatedAt).ThenBy(r => r.Seq),
        (SortField.Created, true) => rows.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Seq),
        (SortField.Updated, false) => rows.OrderBy(r => r.UpdatedAt).ThenBy(r => r.Seq),
        _ => rows.OrderByDescending(r => r.UpdatedAt).ThenByDescending(r => r.Seq),
    };

    /// <summary>
    /// The rows after the keyset position. Each is written as a bound on the sort column AND the tie-break: "x &gt;= v AND
    /// (x &gt; v OR seq &gt; s)" means the same as "x &gt; v OR (x = v AND seq &gt; s)", but its first term starts the walk of the
    /// (Kind, x, Seq) index at the position, where the OR alone is only a filter and a page deep in a million objects
    /// walks every entry before it (measured: benchmarks/RESULTS.md, list-million).
    /// </summary>
    private static IQueryable<ResourceRow> AfterPosition(IQueryable<ResourceRow> rows, SortField field, bool descending, ContinueToken at)
    {
        var seq = at.Seq;
        switch (field)
        {
            case SortField.Name:
                var name = at.Value;
                return descending
                    ? rows.Where(r => string.Compare(r.Name, name) <= 0 && (string.Compare(r.Name, name) < 0 || r.Seq < seq))
                    : rows.Where(r => string.Compare(r.Name, name) >= 0 && (string.Compare(r.Name, name) > 0 || r.Seq > seq));
            default:
                var when = at.TimeValue();
                return (field, descending) switch
                {
                    (SortField.Created, false) => rows.Where(r => r.CreatedAt >= when && (r.CreatedAt > when || r.Seq > seq)),
                    (SortField.Created, true) => rows.Where(r => r.CreatedAt <= when && (r.CreatedAt < when || r.Seq < seq)),
                    (_, false) => rows.Where(r => r.UpdatedAt >= when && (r.UpdatedAt > when || r.Seq > seq)),
                    _ => rows.Where(r => r.UpdatedAt <= when && (r.UpdatedAt < when || r.Seq < seq)),
                };
        }
    }

    private static string SortValue(ResourceRow row, SortField field) => field switch
    {
        SortField.Name => row.Name,
        SortField.Created => row.CreatedAt.Ticks.ToString(CultureInfo.InvariantCulture),
        _ => row.UpdatedAt.Ticks.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The refusal <see cref="CreateAsync"/> would give for a taken name, or null; for forms that check as people type.</summary>
    public async Task<string?> NameTakenProblemAsync(string kind, string owner, string name, CancellationToken ct) =>
        await NameHolderAsync(kind, owner, name, null, ct) is { } system ? NameTaken(kind, name, system).Detail : null;

    private async Task EnsureNameFreeAsync(string kind, string owner, string name, Guid? except, CancellationToken ct)
    {
        if (await NameHolderAsync(kind, owner, name, except, ct) is { } system) throw NameTaken(kind, name, system);
    }

    /// <summary>Null when the name is free; otherwise whether the object holding it is a system object.</summary>
    private Task<bool?> NameHolderAsync(string kind, string owner, string name, Guid? except, CancellationToken ct) =>
        db.Resources.AsNoTracking().Where(r => r.Kind == kind && r.Owner == owner && r.Name == name && r.Id != except)
            .Select(r => (bool?)r.IsSystem).FirstOrDefaultAsync(ct);

    /// <summary>A system object holds names in its owner's namespace too; the owner, who cannot see it, is told what holds the name.</summary>
    private static ConflictException NameTaken(string kind, string name, bool system = false) =>
        new($"A {Kinds.Singular(kind)} named '{name}' already exists{(system ? " (one Kraut keeps for its owner, a system object)" : "")}. Names are unique per owner; pick another.");

    private async Task SaveAsync(ResourceRow row, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e is not DbUpdateConcurrencyException && provider.IsUniqueViolation(e))
        {
            db.ChangeTracker.Clear();
            // The name is not the only unique key: history's (ResourceId, Version) collides when another writer
            // stored this version first (EF may insert the history row before it updates the row). That is a lost
            // race like a failed version check, so callers retry or answer 412 instead of "name taken".
            if (await NameHolderAsync(row.Kind, row.Owner, row.Name, row.Id, ct) is not { } system)
                throw new DbUpdateConcurrencyException($"Another writer stored version {row.Version} of {row.Id} first.", e);
            throw NameTaken(row.Kind, row.Name, system);
        }
    }

    /// <summary>
    /// History, versions and diffs reveal the object, so they are visible exactly when GET is: the same query decides
    /// (owner, and a token's selector). Only an object that no longer exists falls back to its last snapshot, judged
    /// by the same rules in memory: its last owner, and the token's selector on its last metadata.
    /// </summary>
    private async Task EnsureHistoryVisibleAsync(string kind, Guid id, Actor actor, CancellationToken ct)
    {
        if (await FindAsync(kind, id, actor, ct) is not null) return;
        var exists = await db.Resources.AsNoTracking().AnyAsync(r => r.Kind == kind && r.Id == id, ct);
        var last = exists ? null : await db.History.AsNoTracking().Where(h => h.ResourceId == id && h.Kind == kind)
            .OrderByDescending(h => h.Version).Select(h => h.Snapshot).FirstOrDefaultAsync(ct);
        if (last is null || !MayReachDeleted(actor, KrautJson.Deserialize<Snapshot>(last)))
            throw new NotFoundException(Kinds.Singular(kind), id);
    }

    private static bool MayReachDeleted(Actor actor, Snapshot last) =>
        (!last.System || actor.IsAdmin) && actor.MayAccessOwner(last.Owner) && SelectorMatcher.Matches(ScopeSelector(actor), last.Metadata);

    private HistoryRow NewHistory(ResourceRow row, Actor actor, string change) => new()
    {
        ResourceId = row.Id,
        Kind = row.Kind,
        Version = row.Version,
        Snapshot = SnapshotJson(row),
        ChangedBy = actor.RecordedAs,
        ChangedAt = Now(),
        Change = change,
    };

    private static string SnapshotJson(ResourceRow row) => KrautJson.Serialize(Snapshot.FromRow(row));

    private DateTime Now() => time.GetUtcNow().UtcDateTime;
}

/// <summary>A status field (JSON path such as <c>$.phase</c>) equal to <paramref name="Value"/>, or set at all when it is null.</summary>
public sealed record StatusCondition(string Path, string? Value = null);

/// <summary>What a new object is made of before it is stored.</summary>
public sealed record NewResource(string Kind, string Name, string Owner, JsonObject Metadata, string SpecJson, string StatusJson, bool IsSystem = false, Guid? Id = null);

public sealed class KrautNotFoundVersionException(string kind, Guid id, long version)
    : KrautProblemException(404, "Not found", $"The {kind} {id} has no version {version}.");

/// <summary>One row of <see cref="ResourceStore.CountByKindAndPhaseAsync"/>.</summary>
public sealed record KindPhaseCount(string Kind, string? Phase, int Count);
