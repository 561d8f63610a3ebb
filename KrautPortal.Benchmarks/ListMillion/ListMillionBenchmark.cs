using System.Diagnostics;
using System.Globalization;
using System.Text;
using KrautPortal.Benchmarks.ListAndFilter;
using KrautPortal.Benchmarks.Support;
using KrautPortal.Features.Store;
using KrautPortal.Features.Store.Selectors;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace KrautPortal.Benchmarks.ListMillion;

/// <summary>
/// list-million: <see cref="ResourceStore.ListAsync"/> (what <c>GET /api/v1/vms?selector=…&amp;limit=100</c> calls) over
/// 1,000,000 VMs on PostgreSQL, a page of 100 by selector (first page, the next one by continue token, and one deep in
/// the matches), against a hand-written query returning the same 100 rows through the same tables and indexes. Checks
/// with EXPLAIN that the store's query is served by indexes.
/// </summary>
public static class ListMillionBenchmark
{
    private const int Page = 100;
    private const int Warmup = 3;

    private sealed record Case(string Label, string Selector);

    private static readonly Case[] Cases =
    [
        new("common equality (~45 %)", "env=prod"),
        new("set (~55 %)", "tier in (web,api)"),
        new("negation (~55 %)", "env!=prod"),
        new("two labels (~4 %)", "env=prod,tier=db"),
        new("exists (~5 %)", "legacy"),
        new("nested, uncommon (~0.4 %)", "app.name=app07,env=staging"),
        new($"rare (1 in {VmRows.RareEvery:N0})", $"ticket={VmRows.RareTicket}"),
        new("no match", "ticket=none"),
    ];

    private sealed record Sample(Stats Store, Stats Hand);

    private sealed record Result(Case Case, long Matches, string Lead, Sample First, Sample Next, Sample? Deep, long DeepAt, string Plan, bool Indexed);

    public static async Task<string> RunAsync(int rows, int runs, bool keep)
    {
        var loadAtStart = MachineInfo.LoadAverage();
        var disk = await DiskFreeAsync();
        Console.WriteLine($"[list-million] test PostgreSQL at {PostgresServer.AdminUrl}; its disk: {disk}");
        var fill = Stopwatch.StartNew();
        await using var db = await MillionDatabase.OpenAsync(rows, keep);
        Console.WriteLine($"[list-million] ready in {fill.Elapsed.TotalSeconds:0} s: {rows:N0} VMs, {db.Labels:N0} labels, {db.Size}");

        await using var connection = db.Server.Open();
        var results = new List<Result>();
        foreach (var c in Cases)
        {
            var result = await MeasureAsync(db, connection, c, runs);
            results.Add(result);
            Console.WriteLine($"[list-million] {c.Selector}: {result.Matches:N0} matches, lead {result.Lead}; first page p50 Kraut {Stats.Ms(result.First.Store.P50)} ms, "
                + $"by hand {Stats.Ms(result.First.Hand.P50)} ms; next {Stats.Ms(result.Next.Store.P50)} / {Stats.Ms(result.Next.Hand.P50)} ms; "
                + $"deep {Stats.Ms(result.Deep?.Store.P50 ?? double.NaN)} / {Stats.Ms(result.Deep?.Hand.P50 ?? double.NaN)} ms; indexes only: {result.Indexed}");
        }

        var text = Report(results, db, rows, runs, await MachineInfo.DescribeAsync(loadAtStart, more:
            [("PostgreSQL", db.Version + " (the test server of scripts/start-test-postgres.sh: fsync off, default shared_buffers)"), ("Test server's disk", disk)]));
        Console.WriteLine(text);
        // Written down rather than thrown: the figures are worth keeping, and the plans below show what went wrong.
        if (results.Any(r => !r.Indexed))
            Console.Error.WriteLine("[list-million] WARNING: the store's query read a table from end to end for: " + string.Join(", ", results.Where(r => !r.Indexed).Select(r => r.Case.Selector)));
        return text;
    }

    private static async Task<Result> MeasureAsync(MillionDatabase db, NpgsqlConnection connection, Case c, int runs)
    {
        var selector = SelectorParser.Parse(c.Selector);
        var hand = HandSql(selector);
        var matches = (long)(await Command(connection, $"SELECT COUNT(*) FROM resources AS r WHERE {hand.Where}", hand.Values).ExecuteScalarAsync())!;
        string lead;
        await using (var scope = db.Services.CreateAsyncScope())
        {
            var chosen = await SelectorPlanner.ChooseLeadAsync(scope.ServiceProvider.GetRequiredService<KrautDbContext>(),
                scope.ServiceProvider.GetRequiredService<DatabaseProvider>().Dialect, VmRows.Kind, selector, default);
            lead = chosen is null ? "walk the name index" : chosen.Mode == LeadMode.StartFrom ? "start from the labels" : "label set, walk the name index";
        }

        // Both sides must return the same rows, page after page.
        var (storeFirst, token) = await StorePageAsync(db, c.Selector, null);
        var handFirst = await HandPageAsync(connection, hand, null);
        Same(c, "first page", storeFirst, handFirst);
        var after = handFirst.Count == Page + 1 ? (handFirst[Page - 1].Name, handFirst[Page - 1].Seq) : ((string, long)?)null;
        if ((token is null) != (after is null)) throw new InvalidOperationException($"{c.Selector}: the store and the hand-written query disagree on a next page");

        var first = await TimeAsync(runs, () => StorePageAsync(db, c.Selector, null), () => HandPageAsync(connection, hand, null));
        var next = token is null ? first : await TimeAsync(runs, () => StorePageAsync(db, c.Selector, token), () => HandPageAsync(connection, hand, after));
        if (token is not null) Same(c, "second page", (await StorePageAsync(db, c.Selector, token)).Rows, await HandPageAsync(connection, hand, after));

        // A page half way through the matches (at most 200,000 in): where a keyset must start inside the index, not walk to it.
        Sample? deep = null;
        var deepAt = Math.Min(matches / 2, 200_000);
        if (deepAt > 2 * Page)
        {
            var at = Command(connection, $"SELECT r.\"Name\", r.\"Seq\" FROM resources AS r WHERE {hand.Where} ORDER BY r.\"Name\", r.\"Seq\" OFFSET {deepAt - 1} LIMIT 1", hand.Values);
            await using var reader = await at.ExecuteReaderAsync();
            await reader.ReadAsync();
            var position = (reader.GetString(0), reader.GetInt64(1));
            await reader.DisposeAsync();
            var deepToken = new ContinueToken(new ListQuery(c.Selector, Page).Fingerprint(VmRows.Kind), position.Item1, position.Item2).Encode();
            Same(c, "deep page", (await StorePageAsync(db, c.Selector, deepToken)).Rows, await HandPageAsync(connection, hand, position));
            deep = await TimeAsync(runs, () => StorePageAsync(db, c.Selector, deepToken), () => HandPageAsync(connection, hand, position));
        }

        var (plan, indexed) = await PlanAsync(db, connection, c.Selector, token);
        return new Result(c, matches, lead, first, next, deep, deepAt, plan, indexed);
    }

    private static void Same(Case c, string what, IReadOnlyList<ResourceRow> store, IReadOnlyList<ResourceRow> hand)
    {
        if (!store.Take(Page).Select(r => r.Id).SequenceEqual(hand.Take(Page).Select(r => r.Id)))
            throw new InvalidOperationException($"{c.Selector}: {what} differs between the store and the hand-written query");
    }

    private static async Task<(List<ResourceRow> Rows, string? Next)> StorePageAsync(MillionDatabase db, string selector, string? token, bool capturing = false)
    {
        await using var scope = (capturing ? db.Capturing : db.Services).CreateAsyncScope();
        var page = await scope.ServiceProvider.GetRequiredService<ResourceStore>().ListAsync(VmRows.Kind, new ListQuery(selector, Page, token), Actor.System, default);
        return ([.. page.Items], page.Continue);
    }

    /// <summary>The hand-written query: each requirement an EXISTS or NOT EXISTS on resource_labels, as a person would write it for PostgreSQL to plan.</summary>
    private sealed record Hand(string Where, List<object> Values);

    private static Hand HandSql(Selector selector)
    {
        var values = new List<object> { VmRows.Kind };
        var where = new List<string> { "r.\"Kind\" = $1" };
        string P(object v)
        {
            values.Add(v);
            return "$" + values.Count.ToString(CultureInfo.InvariantCulture);
        }
        foreach (var r in selector.Requirements)
        {
            var label = $"SELECT 1 FROM resource_labels AS l WHERE l.\"ResourceSeq\" = r.\"Seq\" AND l.\"Kind\" = $1 AND l.\"Key\" = {P(r.Key)}";
            where.Add(r.Operator switch
            {
                SelectorOperator.Exists => $"EXISTS ({label})",
                SelectorOperator.NotExists => $"NOT EXISTS ({label})",
                SelectorOperator.Equals or SelectorOperator.In => $"EXISTS ({label} AND l.\"Value\" = ANY({P(r.Values.ToArray())}))",
                _ => $"NOT EXISTS ({label} AND l.\"Value\" = ANY({P(r.Values.ToArray())}))",
            });
        }
        return new Hand(string.Join(" AND ", where), values);
    }

    private const string Columns = "r.\"Seq\", r.\"Id\", r.\"Kind\", r.\"Name\", r.\"Owner\", r.\"Metadata\", r.\"Spec\", r.\"Status\", r.\"Version\", r.\"CreatedAt\", r.\"UpdatedAt\", r.\"DeletionRequestedAt\", r.\"IsSystem\"";

    /// <summary>101 rows (the 101st tells whether there is a next page, as the store asks), after a row-value keyset, into the store's row type.</summary>
    private static async Task<List<ResourceRow>> HandPageAsync(NpgsqlConnection connection, Hand hand, (string Name, long Seq)? after)
    {
        var values = new List<object>(hand.Values);
        var keyset = "";
        if (after is { } a)
        {
            values.Add(a.Name);
            values.Add(a.Seq);
            keyset = $" AND (r.\"Name\", r.\"Seq\") > (${values.Count - 1}, ${values.Count})";
        }
        await using var command = Command(connection, $"SELECT {Columns} FROM resources AS r WHERE {hand.Where}{keyset} ORDER BY r.\"Name\", r.\"Seq\" LIMIT {Page + 1}", values);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<ResourceRow>(Page + 1);
        while (await reader.ReadAsync())
        {
            rows.Add(new ResourceRow
            {
                Seq = reader.GetInt64(0), Id = reader.GetGuid(1), Kind = reader.GetString(2), Name = reader.GetString(3), Owner = reader.GetString(4),
                Metadata = reader.GetString(5), Spec = reader.GetString(6), Status = reader.GetString(7), Version = reader.GetInt64(8),
                CreatedAt = reader.GetDateTime(9), UpdatedAt = reader.GetDateTime(10), DeletionRequestedAt = reader.IsDBNull(11) ? null : reader.GetDateTime(11),
                IsSystem = reader.GetBoolean(12),
            });
        }
        return rows;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, IEnumerable<object> values)
    {
        var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        foreach (var v in values) command.Parameters.Add(new NpgsqlParameter { Value = v });
        return command;
    }

    /// <summary>Warm-up, then <paramref name="runs"/> of each side, alternating who goes first.</summary>
    private static async Task<Sample> TimeAsync<TA, TB>(int runs, Func<Task<TA>> store, Func<Task<TB>> hand)
    {
        for (var i = 0; i < Warmup; i++)
        {
            await store();
            await hand();
        }
        var a = new List<double>();
        var b = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            if (run % 2 == 0)
            {
                a.Add(await Time(store));
                b.Add(await Time(hand));
            }
            else
            {
                b.Add(await Time(hand));
                a.Add(await Time(store));
            }
        }
        return new Sample(Stats.Of(a), Stats.Of(b));

        static async Task<double> Time<T>(Func<Task<T>> work)
        {
            var t0 = Stopwatch.GetTimestamp();
            await work();
            return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
    }

    /// <summary>EXPLAIN of the SQL EF sent for the next page (or the first when there is none), with its own parameters.</summary>
    private static async Task<(string Plan, bool Indexed)> PlanAsync(MillionDatabase db, NpgsqlConnection connection, string selector, string? token)
    {
        await StorePageAsync(db, selector, token, capturing: true);
        var sql = db.Capture.Sql!;
        await using var command = new NpgsqlCommand("EXPLAIN (COSTS OFF) " + sql, connection);
        foreach (var (name, value) in db.Capture.Parameters) command.Parameters.Add(new NpgsqlParameter(name, value ?? DBNull.Value));
        var lines = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        var plan = string.Join("\n", lines);
        var indexed = !plan.Contains("Seq Scan on resources", StringComparison.Ordinal) && !plan.Contains("Seq Scan on resource_labels", StringComparison.Ordinal)
            && plan.Contains("Index", StringComparison.Ordinal);
        return (plan, indexed);
    }

    private static async Task<string> DiskFreeAsync()
    {
        var result = await Tool.TryAsync("df", ["-h", "--output=avail,size", "/var/lib/kraut-test-postgres"]);
        var line = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return line is { Length: 2 } ? $"{line[0]} free of {line[1]}" : "unknown";
    }

    private static string Report(List<Result> results, MillionDatabase db, int rows, int runs, string machine)
    {
        string Ms(double v) => Stats.Ms(v);
        var table = new MarkdownTable("selector", "matches", "Kraut starts", "first p50 / p95 (ms)", "by hand", "ratio p50",
            "next p50 / p95", "by hand", "deep p50 / p95", "by hand", "ratio p50 (deep)", "indexes only");
        foreach (var r in results)
        {
            table.Add($"`{r.Case.Selector}` ({r.Case.Label})", r.Matches.ToString("N0", CultureInfo.InvariantCulture), r.Lead,
                $"{Ms(r.First.Store.P50)} / {Ms(r.First.Store.P95)}", $"{Ms(r.First.Hand.P50)} / {Ms(r.First.Hand.P95)}", Stats.Ratio(r.First.Store.P50, r.First.Hand.P50),
                $"{Ms(r.Next.Store.P50)} / {Ms(r.Next.Store.P95)}", $"{Ms(r.Next.Hand.P50)} / {Ms(r.Next.Hand.P95)}",
                r.Deep is { } d ? $"{Ms(d.Store.P50)} / {Ms(d.Store.P95)}" : "–", r.Deep is { } h ? $"{Ms(h.Hand.P50)} / {Ms(h.Hand.P95)}" : "–",
                r.Deep is { } x ? Stats.Ratio(x.Store.P50, x.Hand.P50) : "–", r.Indexed ? "yes" : "**no**");
        }
        var fill = db.FillSeconds > 0
            ? $"filled in {db.FillSeconds:0} s (200 through `ResourceStore.CreateAsync`, the rest and their resource_labels rows by binary COPY with the labels trigger off and secondary indexes made after; the labels checked both ways against the trigger's own function `kraut_metadata_labels` on 20,000 VMs), VACUUM (ANALYZE) {db.AnalyzeSeconds:0} s"
            : "reused from an earlier run of this benchmark (`--keep-pg`)";
        var text = new StringBuilder()
            .AppendLine("## list-million: list by selector over 1,000,000 VMs on PostgreSQL, page 100")
            .AppendLine()
            .Append(machine)
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"{rows:N0} VMs (`VmRows`: env prod-heavy, 50 teams Zipf-like, tier, nested app.name/app.tier, legacy on 5 %, a ticket on 1 in {VmRows.RareEvery:N0}), "
                + $"{db.Labels:N0} resource_labels rows, database {db.Size}; {fill}. Each figure: {runs} runs after {Warmup} warm-ups, Kraut and by hand alternating. "
                + $"Kraut: `ResourceStore.ListAsync(\"vms\", selector, limit 100, continue)` in a fresh scope per call (as an API request): the selector planner's label count, the selector SQL, "
                + $"keyset paging, EF materialisation. By hand: one Npgsql command, each requirement an `EXISTS`/`NOT EXISTS` on resource_labels (object, kind, key, values), `ORDER BY Name, Seq LIMIT 101`, "
                + $"a row-value keyset `(Name, Seq) > (…)`, read into the same row type; both sides' rows compared on every page checked. \"Deep\": the page after the match half way through (at most the 200,000th).")
            .AppendLine()
            .Append(table)
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"**Ratio Kraut / by hand, first page p50, median over the selectors: {Median(results.Select(r => r.First.Store.P50 / r.First.Hand.P50)):0.00}×; "
                + $"p95 of the worst selector: Kraut {Ms(results.Max(r => r.First.Store.P95))} ms.**")
            .AppendLine()
            .AppendLine("Plans (EXPLAIN of the SQL EF sent for the second page, with its parameters); \"indexes only\" above: no `Seq Scan` on resources "
                + "or resource_labels in it.")
            .AppendLine();
        foreach (var r in results)
            text.Append("<details><summary><code>").Append(r.Case.Selector).AppendLine("</code></summary>").AppendLine().AppendLine("```").AppendLine(r.Plan).AppendLine("```").AppendLine("</details>").AppendLine();
        return text.ToString();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }
}
