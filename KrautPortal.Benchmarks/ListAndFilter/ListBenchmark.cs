using System.Diagnostics;
using System.Globalization;
using System.Text;
using KrautPortal.Benchmarks.Support;
using KrautPortal.Features.Store;
using KrautPortal.Features.Store.Selectors;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Benchmarks.ListAndFilter;

/// <summary>
/// list-and-filter: ResourceStore.ListAsync (selector parsing, choosing where the query starts, SQL over
/// resource_labels, keyset paging, EF materialisation) over 100,000 VMs, first page and pages deep via continue tokens,
/// against the same query by hand, and the JSON scan by hand that selectors were before resource_labels.
/// </summary>
public static class ListBenchmark
{
    public const int PageSize = 100;
    private const int ThroughStore = 1_000;
    private const int FirstPageRuns = 200;
    private const int MaxPagesWalked = 1_000;
    private const int MinContinuedPages = 200;
    private static readonly TimeSpan FirstPageBudget = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan WalkBudget = TimeSpan.FromSeconds(20);
    private const double TargetP95 = 20;

    private sealed record CaseResult(ListCase Case, long Matches, Stats StoreFirst, Stats HandFirst, Stats StoreCpu, Stats HandCpu, Stats JsonFirst, Stats StoreNext, Stats HandNext, int PagesWalked, int Walks, bool WalkedAll, string Plans);

    /// <param name="keepDbAt">Where to leave a copy of the populated database, for looking at plans by hand.</param>
    public static async Task<string> RunAsync(int rows, string? keepDbAt = null)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        Console.WriteLine($"[list] populating a fresh SQLite database with {rows:N0} VMs ({ThroughStore:N0} through ResourceStore.CreateAsync, the rest in bulk)");
        await using var db = await ListDatabase.CreateAsync(rows, ThroughStore);
        Console.WriteLine($"[list] populated in {db.BulkSeconds:0.0} s of bulk insert; store insert median {db.StoreInsertMedianMs:0.00} ms per VM");

        await using var connection = new SqliteConnection(db.ConnectionString);
        await connection.OpenAsync();
        var sqlite = await ScalarAsync(connection, "SELECT sqlite_version()");
        if (keepDbAt is not null)
        {
            await ScalarAsync(connection, $"VACUUM INTO '{keepDbAt.Replace("'", "''", StringComparison.Ordinal)}'");
            Console.WriteLine($"[list] kept a copy of the database at {keepDbAt}");
        }

        var results = new List<CaseResult>();
        foreach (var @case in ListCase.All)
        {
            using var hand = new HandQuery(connection, @case.Hand, PageSize);
            using var jsonScan = new HandQuery(connection, @case.JsonScan, PageSize);
            var matches = await CountAsync(connection, @case.Hand, hand);
            // resource_labels must select exactly what the JSON did, here over 100,000 VMs of skewed metadata.
            if (await CountAsync(connection, @case.JsonScan, jsonScan) != matches)
                throw new InvalidOperationException($"{@case.Label}: resource_labels and the JSON scan count different VMs");
            var (storeFirst, handFirst, storeCpu, handCpu) = await FirstPagesAsync(db, @case, hand);
            var jsonFirst = await JsonScanAsync(@case, hand, jsonScan);
            var (storeNext, handNext, pages, walks, all) = await WalkAsync(db, @case, hand, matches);
            var plans = await PlansAsync(db, connection, @case, hand);
            var result = new CaseResult(@case, matches, storeFirst, handFirst, storeCpu, handCpu, jsonFirst, storeNext, handNext, pages, walks, all, plans);
            results.Add(result);
            Console.WriteLine($"[list] {@case.Label}: {matches:N0} matches; first page p95 Kraut {Stats.Ms(storeFirst.P95)} ms, by hand {Stats.Ms(handFirst.P95)} ms, " +
                $"JSON scan before {Stats.Ms(jsonFirst.P95)} ms; continued pages p95 Kraut {Stats.Ms(storeNext.P95)} ms, by hand {Stats.Ms(handNext.P95)} ms ({pages} pages)");
        }

        var report = Report(rows, db, results);
        Console.WriteLine();
        Console.WriteLine(report);
        return "## list-and-filter\n\n" + await MachineInfo.DescribeAsync(loadAtStart, sqlite: sqlite) + "\n" + report + "\n" + PlanSection(results);
    }

    private static async Task<long> CountAsync(SqliteConnection connection, HandSql sql, HandQuery query) =>
        long.Parse(await ScalarAsync(connection, $"SELECT COUNT(*) FROM {sql.From} WHERE {sql.WhereSql}", query.Parameters), CultureInfo.InvariantCulture);

    /// <summary>The first page as selectors ran before resource_labels (JSON read row by row), by hand; same VMs checked.</summary>
    private static async Task<Stats> JsonScanAsync(ListCase @case, HandQuery hand, HandQuery jsonScan)
    {
        var expected = (await hand.PageAsync(null)).Rows.Select(r => r.Id).ToList();
        if (!(await jsonScan.PageAsync(null)).Rows.Select(r => r.Id).SequenceEqual(expected))
            throw new InvalidOperationException($"{@case.Label}: the JSON scan's first page differs from resource_labels'");
        var samples = new List<double>();
        var budget = Stopwatch.StartNew();
        for (var run = 0; run < FirstPageRuns && (run < 20 || budget.Elapsed < FirstPageBudget); run++)
            samples.Add(await TimeAsync(() => jsonScan.PageAsync(null)));
        return Stats.Of(samples);
    }

    private static async Task<(List<ResourceRow> Rows, string? Next)> StorePageAsync(ListDatabase db, ListCase @case, string? token)
    {
        await using var scope = db.Services.CreateAsyncScope();
        var page = await scope.ServiceProvider.GetRequiredService<ResourceStore>()
            .ListAsync(VmRows.Kind, new ListQuery(@case.Selector, PageSize, token), @case.Actor, CancellationToken.None);
        return ([.. page.Items], page.Continue);
    }

    /// <summary>
    /// Wall time of each first page, and the process's CPU time over the same call: on a machine shared with other work a
    /// call that needs 2 ms of CPU may wait far longer for a core, which the CPU time leaves out.
    /// </summary>
    private static async Task<(Stats Store, Stats Hand, Stats StoreCpu, Stats HandCpu)> FirstPagesAsync(ListDatabase db, ListCase @case, HandQuery hand)
    {
        for (var i = 0; i < 5; i++)
        {
            await StorePageAsync(db, @case, null);
            await hand.PageAsync(null);
        }
        var store = new List<double>();
        var byHand = new List<double>();
        var storeCpu = new List<double>();
        var handCpu = new List<double>();
        async Task TimeAsync<T>(Func<Task<T>> work, List<double> wall, List<double> cpu)
        {
            var cpu0 = Environment.CpuUsage.TotalTime;
            var t0 = Stopwatch.GetTimestamp();
            await work();
            wall.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            cpu.Add((Environment.CpuUsage.TotalTime - cpu0).TotalMilliseconds);
        }
        var budget = Stopwatch.StartNew();
        for (var run = 0; run < FirstPageRuns && (run < 20 || budget.Elapsed < FirstPageBudget); run++)
        {
            // Alternate who goes first, so neither always runs on a cache the other just warmed.
            if (run % 2 == 0)
            {
                await TimeAsync(() => StorePageAsync(db, @case, null), store, storeCpu);
                await TimeAsync(() => hand.PageAsync(null), byHand, handCpu);
            }
            else
            {
                await TimeAsync(() => hand.PageAsync(null), byHand, handCpu);
                await TimeAsync(() => StorePageAsync(db, @case, null), store, storeCpu);
            }
        }
        return (Stats.Of(store), Stats.Of(byHand), Stats.Of(storeCpu), Stats.Of(handCpu));
    }

    /// <summary>
    /// Follows continue tokens page after page; both sides must return the same VMs on every page. A short result
    /// is walked again until there are enough continued pages for a p95, within the time budget.
    /// </summary>
    private static async Task<(Stats Store, Stats Hand, int Pages, int Walks, bool All)> WalkAsync(ListDatabase db, ListCase @case, HandQuery hand, long matches)
    {
        var store = new List<double>();
        var byHand = new List<double>();
        var budget = Stopwatch.StartNew();
        var walks = 0;
        while (true)
        {
            string? token = null;
            (string Name, long Seq)? after = null;
            var pages = 0;
            walks++;
            while (true)
            {
                var t0 = Stopwatch.GetTimestamp();
                var (storeRows, nextToken) = await StorePageAsync(db, @case, token);
                var t1 = Stopwatch.GetTimestamp();
                var (handRows, nextAfter) = await hand.PageAsync(after);
                var t2 = Stopwatch.GetTimestamp();
                pages++;
                if (pages > 1)
                {
                    store.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    byHand.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                }
                if (!storeRows.Select(r => r.Id).SequenceEqual(handRows.Select(r => r.Id)) || (nextToken is null) != (nextAfter is null))
                    throw new InvalidOperationException($"{@case.Label}: page {pages} differs between the store and the hand-written query");
                if (nextToken is null || pages >= MaxPagesWalked || budget.Elapsed > WalkBudget)
                {
                    var all = nextToken is null && pages == (int)Math.Max(1, (matches + PageSize - 1) / PageSize);
                    if (pages == 1 || store.Count >= MinContinuedPages || budget.Elapsed > WalkBudget || !all)
                        return (Stats.Of(store), Stats.Of(byHand), pages, walks, all);
                    break;
                }
                (token, after) = (nextToken, nextAfter);
            }
        }
    }

    private static async Task<double> TimeAsync<T>(Func<Task<T>> work)
    {
        var t0 = Stopwatch.GetTimestamp();
        await work();
        return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }

    /// <summary>EXPLAIN QUERY PLAN of the SQL EF generated (captured, with its parameters) and of the hand-written SQL.</summary>
    /// <returns>The plans as markdown; throws when EF's query does not start where the hand-written one does.</returns>
    private static async Task<string> PlansAsync(ListDatabase db, SqliteConnection connection, ListCase @case, HandQuery hand)
    {
        var text = new StringBuilder();
        var efPlans = new List<string>();
        await using var scope = db.Capturing.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
        var first = await store.ListAsync(VmRows.Kind, new ListQuery(@case.Selector, PageSize), @case.Actor, CancellationToken.None);
        var (firstSql, firstParameters) = (db.Capture.Sql!, db.Capture.Parameters);
        if (HandSql.Of(firstSql) != @case.Hand.Shape)
            throw new InvalidOperationException($"{@case.Label}: Kraut's query and the hand-written one start from different places; make them the same query");
        text.AppendLine(CultureInfo.InvariantCulture, $"#### `{@case.Label}`").AppendLine();
        text.AppendLine("EF, first page:").AppendLine().AppendLine("```sql").AppendLine(firstSql.Trim()).AppendLine("```");
        efPlans.Add(await ExplainAsync(connection, firstSql, firstParameters));
        text.AppendLine("```").Append(efPlans[^1]).AppendLine("```");
        if (first.Continue is { } token)
        {
            await store.ListAsync(VmRows.Kind, new ListQuery(@case.Selector, PageSize, token), @case.Actor, CancellationToken.None);
            text.AppendLine("EF, continued page (only the WHERE differs):").AppendLine();
            text.AppendLine("```sql").AppendLine(WhereClause(db.Capture.Sql!)).AppendLine("```");
            efPlans.Add(await ExplainAsync(connection, db.Capture.Sql!, db.Capture.Parameters));
            text.AppendLine("```").Append(efPlans[^1]).AppendLine("```");
        }
        text.AppendLine("By hand, continued page:").AppendLine().AppendLine("```sql").AppendLine(hand.NextSql).AppendLine("```");
        text.AppendLine("```").Append(await ExplainAsync(connection, hand.NextSql, [.. hand.Parameters, ("$afterName", "m"), ("$afterSeq", 0L)])).AppendLine("```");
        return text.ToString();
    }

    private static string WhereClause(string sql)
    {
        var lines = sql.Split('\n');
        return string.Join('\n', lines.SkipWhile(l => !l.TrimStart().StartsWith("WHERE", StringComparison.Ordinal)).TakeWhile(l => !l.TrimStart().StartsWith("ORDER BY", StringComparison.Ordinal))).Trim();
    }

    public static async Task<string> ExplainAsync(SqliteConnection connection, string sql, IEnumerable<(string Name, object? Value)> parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        var depth = new Dictionary<long, int> { [0] = 0 };
        var text = new StringBuilder();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var (id, parent, detail) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetString(3));
            var level = depth.GetValueOrDefault(parent) + 1;
            depth[id] = level;
            text.Append(new string(' ', 2 * (level - 1))).Append("- ").AppendLine(detail);
        }
        return text.ToString();
    }

    private static async Task<string> ScalarAsync(SqliteConnection connection, string sql, IEnumerable<(string Name, object Value)>? parameters = null)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters ?? []) command.Parameters.AddWithValue(name, value);
        return Convert.ToString(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture)!;
    }

    private static string Report(int rows, ListDatabase db, List<CaseResult> results)
    {
        var first = new MarkdownTable("selector", "matches", "query starts from", "Kraut p50", "Kraut p95", "Kraut max", "by hand p50", "by hand p95", "Kraut / by hand (p95)",
            "before: JSON scan by hand p50", "before: p95", $"Kraut p95 < {TargetP95:0} ms", "Kraut CPU p50", "Kraut CPU p95", "by hand CPU p50", "by hand CPU p95");
        var next = new MarkdownTable("selector", "pages walked", "Kraut p50", "Kraut p95", "Kraut max", "by hand p50", "by hand p95", "by hand max", "Kraut / by hand (p95)", $"Kraut p95 < {TargetP95:0} ms");
        foreach (var r in results)
        {
            var label = $"`{r.Case.Label}`";
            first.Add(label, r.Matches.ToString("N0", CultureInfo.InvariantCulture), r.Case.Hand.Shape,
                Stats.Ms(r.StoreFirst.P50), Stats.Ms(r.StoreFirst.P95), Stats.Ms(r.StoreFirst.Max),
                Stats.Ms(r.HandFirst.P50), Stats.Ms(r.HandFirst.P95), Stats.Ratio(r.StoreFirst.P95, r.HandFirst.P95),
                Stats.Ms(r.JsonFirst.P50), Stats.Ms(r.JsonFirst.P95), Met(r.StoreFirst),
                Stats.Ms(r.StoreCpu.P50), Stats.Ms(r.StoreCpu.P95), Stats.Ms(r.HandCpu.P50), Stats.Ms(r.HandCpu.P95));
            next.Add(label, r.PagesWalked.ToString(CultureInfo.InvariantCulture) + (r.WalkedAll ? " (all)" : "") + (r.Walks > 1 ? $" × {r.Walks}" : ""),
                Stats.Ms(r.StoreNext.P50), Stats.Ms(r.StoreNext.P95), Stats.Ms(r.StoreNext.Max),
                Stats.Ms(r.HandNext.P50), Stats.Ms(r.HandNext.P95), Stats.Ms(r.HandNext.Max), Stats.Ratio(r.StoreNext.P95, r.HandNext.P95), Met(r.StoreNext));
        }
        var missed = results.Where(r => r.StoreFirst.P95 >= TargetP95 || r.StoreNext.P95 >= TargetP95).Select(r => $"`{r.Case.Label}`").ToList();

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{rows:N0} VMs in a fresh SQLite database made by the portal's EF migrations (WAL). The first {db.StoreInserted:N0} went through " +
            $"`ResourceStore.CreateAsync` (median {db.StoreInsertMedianMs:0.00} ms each), the rest through a prepared bulk insert of the same resources and history " +
            $"rows ({db.BulkSeconds:0.0} s), checked at run time to write column for column what the store writes, and to get the same `resource_labels` rows " +
            $"(the database's triggers write them for both).");
        text.AppendLine("Metadata: env prod 45 % / staging 20 % / dev 25 % / test 8 % / none 2 %; team from 50 (Zipf-like, 3 % none); tier; nested app.tier on 60 %; " +
            $"legacy on 5 %; a numeric costCenter on half; `ticket={VmRows.RareTicket}` on one VM in {VmRows.RareEvery:N0}. No ANALYZE (the portal never runs it).");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Kraut = `ResourceStore.ListAsync` with page size {PageSize}, one DI scope and DbContext per call as a request has: " +
            $"it first counts, in the (Kind, Key, Value) index and no further than {SelectorPlanner.SetAtMost:N0}, the objects each `=`, `in` or `exists` requirement names; " +
            $"when the rarest names at most {SelectorPlanner.StartFromAtMost:N0} it starts from their labels and sorts them (labels, then sort), at most {SelectorPlanner.SetAtMost:N0} " +
            $"it reads them once into a set and walks (Kind, Name, Seq) keeping members (name index, label set), and otherwise walks (Kind, Name, Seq) checking each VM's " +
            $"labels by (ResourceSeq, Key) (name index). " +
            $"By hand = the query Kraut sends (same FROM, WHERE, `ORDER BY Name, Seq LIMIT 101`, row-value keyset `(Name, Seq) > (…)`) written against `resource_labels` by someone " +
            $"who knows which values are rare, so without the count, as prepared Microsoft.Data.Sqlite commands read into the same `ResourceRow`s; both return the same VMs on every " +
            $"page (checked), and EF's query starts where the hand-written one does (checked). Before = selectors as they were until `resource_labels`: `->` on every VM's " +
            $"JSON, the same query by hand (first page, same VMs checked; the counts of all three agree).");
        text.AppendLine();
        text.AppendLine("Why a label table: `resource_labels (ResourceSeq, Kind, Key, Value)` with the key (ResourceSeq, Key) and an index on " +
            "(Kind, Key, Value, ResourceSeq) is plain relational SQL that SQLite and PostgreSQL both serve with B-trees and plan alike, so PostgreSQL shares it " +
            "as it is. A SQLite JSON expression index serves one fixed key only, while a selector may name any key; SQLite has no index over every key of a " +
            "JSON document; a PostgreSQL GIN index on jsonb exists on one engine only and cannot return rows in (Name, Seq) order for keyset paging. Values are " +
            "at most 253 characters (the longest a selector can hold), which also keeps index entries within PostgreSQL's B-tree limit.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"First page (ms; up to {FirstPageRuns} runs per side, fewer when a case exceeds {FirstPageBudget.TotalSeconds:0} s, after 5 warm-up runs). " +
            $"CPU = the process's CPU time over the same call (all its threads, so GC and background JIT too): what the call costs, without the time it waited for a core " +
            $"when other work shared the machine (see the load average above):");
        text.AppendLine().Append(first).AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Continued pages via continue tokens (ms; every page after the first while walking the result, up to {MaxPagesWalked:N0} pages or {WalkBudget.TotalSeconds:0} s; " +
            $"a short result is walked again (× n) until {MinContinuedPages} continued pages are timed):");
        text.AppendLine().Append(next).AppendLine();
        text.AppendLine(missed.Count == 0
            ? $"**Aim p95 < {TargetP95:0} ms: met for every case, first page and continued pages.**"
            : $"**Aim p95 < {TargetP95:0} ms: not met for {string.Join(", ", missed)}.**");
        return text.ToString();
    }

    private static string Met(Stats s) => double.IsNaN(s.P95) ? "–" : s.P95 < TargetP95 ? "yes" : "**no**";

    private static string PlanSection(List<CaseResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("### Query plans (EXPLAIN QUERY PLAN)").AppendLine();
        text.AppendLine("<details><summary>SQL EF generates for each case, and SQLite's plan for it and for the hand-written query</summary>").AppendLine();
        foreach (var r in results) text.Append(r.Plans).AppendLine();
        text.AppendLine("</details>");
        return text.ToString();
    }
}
