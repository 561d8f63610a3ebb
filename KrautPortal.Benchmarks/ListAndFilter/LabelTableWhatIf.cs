using System.Diagnostics;
using System.Globalization;
using System.Text;
using KrautPortal.Benchmarks.Support;
using Microsoft.Data.Sqlite;

namespace KrautPortal.Benchmarks.ListAndFilter;

/// <summary>
/// Not Kraut's code: what a selector would cost if metadata values were also kept in an indexed side table
/// (one row per scalar value: kind, dotted key, value, resource seq), so a selective selector can seek instead
/// of reading every VM's JSON. Built as a TEMP table on the benchmark's own connection; the database file is untouched.
/// </summary>
public static class LabelTableWhatIf
{
    private const int Runs = 50;

    public static async Task<string> RunAsync(SqliteConnection connection, int rows, IReadOnlyList<(ListCase Case, string LabelWhere, Stats Kraut, Stats ByHand)> cases)
    {
        var build = Stopwatch.StartNew();
        await ExecAsync(connection, """
            CREATE TEMP TABLE labels AS
              SELECT r.Kind AS Kind, substr(j.fullkey, 3) AS Key, j.atom AS Value, r.Seq AS ResourceSeq
              FROM resources r, json_tree(r.Metadata) j
              WHERE j.type NOT IN ('object', 'array');
            CREATE INDEX temp.IX_labels ON labels (Kind, Key, Value, ResourceSeq);
            """);
        var buildMs = build.Elapsed.TotalMilliseconds;

        var table = new MarkdownTable("selector", "today: Kraut p95", "today: by hand p50", "today: by hand p95", "by hand with label table p50", "by hand with label table p95");
        var plans = new StringBuilder();
        foreach (var (@case, labelWhere, kraut, current) in cases)
        {
            using var today = new HandQuery(connection, @case, ListBenchmark.PageSize);
            var expected = (await today.PageAsync(null)).Rows.Select(r => r.Id).ToList();
            using var withLabels = new HandQuery(connection, @case with { HandWhere = labelWhere }, ListBenchmark.PageSize);
            var got = (await withLabels.PageAsync(null)).Rows.Select(r => r.Id).ToList();
            if (!got.SequenceEqual(expected)) throw new InvalidOperationException($"label table what-if returns other VMs for {@case.Label}");
            var samples = new List<double>();
            for (var i = 0; i < Runs + 3; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                await withLabels.PageAsync(null);
                if (i >= 3) samples.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            var s = Stats.Of(samples);
            table.Add($"`{@case.Label}`", Stats.Ms(kraut.P95), Stats.Ms(current.P50), Stats.Ms(current.P95), Stats.Ms(s.P50), Stats.Ms(s.P95));
            plans.AppendLine(CultureInfo.InvariantCulture, $"`{@case.Label}` with the label table:").AppendLine()
                .AppendLine("```sql").AppendLine(withLabels.FirstSql).AppendLine("```")
                .AppendLine("```").Append(await ListBenchmark.ExplainAsync(connection, withLabels.FirstSql, withLabels.Parameters.Select(p => (p.Name, (object?)p.Value)))).AppendLine("```");
        }
        await ExecAsync(connection, "DROP TABLE temp.labels;");

        var text = new StringBuilder();
        text.AppendLine("### What-if: an indexed label table (not Kraut's code)").AppendLine();
        text.AppendLine("Every listed VM's JSON must be read when a selector matches few VMs: SQLite walks (Kind, Name, Seq) in order and " +
            "evaluates `->` on each row until 101 matches or the end. A side table with one row per scalar metadata value " +
            "(`Kind, Key, Value, ResourceSeq`, indexed in that order), kept by the store in the same transaction as each write, " +
            "would let the query narrow to the matching VMs first. Measured here on a TEMP copy " +
            $"(built in {buildMs / 1000:0.0} s from {rows:N0} VMs), first page, {Runs} runs, same results as today checked:");
        text.AppendLine().Append(table).AppendLine();
        text.AppendLine("<details><summary>SQL and plans of the what-if</summary>").AppendLine().Append(plans).AppendLine("</details>");
        return text.ToString();
    }

    private static async Task ExecAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
