using System.Globalization;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Store;

/// <summary>A number or text in an object's spec (or status, when <paramref name="InStatus"/>) at a JSON path such as <c>$.phase</c>.</summary>
public sealed record JsonField(string Path, bool InStatus = false);

/// <summary>One group of <see cref="KindReader.GroupAsync"/>: its keys (as text, null when absent), how many objects, and per
/// summed field the sum and how many objects had 0 or nothing there (a VM's "as its machine type" size).</summary>
public sealed record JsonGroup(IReadOnlyList<string?> Keys, long Count, IReadOnlyList<long> Sums, IReadOnlyList<long> Zeros);

// Aggregates in the database: dashboards and capacity count and sum over every object of a kind, which at 100,000 VMs
// must not mean reading and parsing 100,000 JSON documents.
public sealed partial class KindReader
{
    /// <summary>
    /// Objects of <paramref name="kind"/> grouped by the values at <paramref name="keys"/>, with sums of <paramref name="sums"/>.
    /// <paramref name="owners"/> narrows to those owners' objects and leaves out system objects (what such a person sees);
    /// null counts everything, system objects included (what an administrator or capacity counts). <paramref name="except"/>
    /// leaves one object out (a VM being placed again is not part of what is already placed).
    /// </summary>
    public async Task<IReadOnlyList<JsonGroup>> GroupAsync(KindInfo kind, IReadOnlyList<JsonField> keys, IReadOnlyList<JsonField> sums,
        IReadOnlyCollection<string>? owners, CancellationToken ct, Guid? except = null)
    {
        // Values are parameters; the paths are written into the SQL by the dialect (checked to be plain member paths),
        // because an expression index such as the one on the status phase serves only the same expression, never a parameter.
        var values = new SqlValues();
        var kindValue = values.Add(kind.Name);
        var dialect = db.Sql;
        string Extract(JsonField f) => dialect.JsonText(f.InStatus ? "\"Status\"" : "\"Spec\"", f.Path);
        string Number(JsonField f) => dialect.JsonNumber(f.InStatus ? "\"Status\"" : "\"Spec\"", f.Path);

        var keyColumns = keys.Select(Extract).ToList();
        var sumColumns = sums.SelectMany(s =>
        {
            var value = Number(s);
            return new[] { $"COALESCE(SUM({value}), 0)", $"SUM(CASE WHEN COALESCE({value}, 0) = 0 THEN 1 ELSE 0 END)" };
        }).ToList();
        var where = $"\"Kind\" = {kindValue}";
        if (owners is not null) where += $" AND \"IsSystem\" = FALSE AND \"Owner\" IN ({string.Join(", ", owners.Select(o => values.Add(o)))})";
        if (except is { } id) where += $" AND NOT ({dialect.IdEqualsText("\"Id\"", values.Add(id.ToString()))})";
        var groupBy = keyColumns.Count == 0 ? "" : " GROUP BY " + string.Join(", ", Enumerable.Range(1, keyColumns.Count));
        var sql = $"SELECT {string.Join(", ", [.. keyColumns, "COUNT(*)", .. sumColumns])} FROM \"resources\" WHERE {where}{groupBy}";

        var groups = await RawQuery.ReadAsync(db, sql, values, reader =>
        {
            var keyValues = Enumerable.Range(0, keys.Count)
                .Select(i => reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)).ToList();
            var at = keys.Count + 1;
            return new JsonGroup(keyValues, reader.GetInt64(keys.Count),
                Enumerable.Range(0, sums.Count).Select(i => RawQuery.Int64(reader, at + 2 * i)).ToList(),
                Enumerable.Range(0, sums.Count).Select(i => RawQuery.Int64(reader, at + 2 * i + 1)).ToList());
        }, ct);
        // Without GROUP BY, no rows still answer one row (of count 0).
        return groups.Where(g => g.Count > 0).ToList();
    }
}
