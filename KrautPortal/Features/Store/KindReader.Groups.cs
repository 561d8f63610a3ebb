using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

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
    /// null counts everything, system objects included (what an administrator or capacity counts).
    /// </summary>
    public async Task<IReadOnlyList<JsonGroup>> GroupAsync(KindInfo kind, IReadOnlyList<JsonField> keys, IReadOnlyList<JsonField> sums,
        IReadOnlyCollection<string>? owners, CancellationToken ct)
    {
        // SQLite's JSON functions, as ResourceStore's quota totals use; paths and values are parameters.
        var parameters = new List<object> { kind.Name };
        string P(object value)
        {
            parameters.Add(value);
            return "@p" + (parameters.Count - 1).ToString(CultureInfo.InvariantCulture);
        }
        string Extract(JsonField f) => $"json_extract({(f.InStatus ? "Status" : "Spec")}, {P(f.Path)})";

        var keyColumns = keys.Select(k => $"CAST({Extract(k)} AS TEXT)").ToList();
        var sumColumns = sums.SelectMany(s =>
        {
            var value = Extract(s);
            return new[] { $"COALESCE(SUM({value}), 0)", $"SUM(CASE WHEN COALESCE({value}, 0) = 0 THEN 1 ELSE 0 END)" };
        }).ToList();
        var where = "Kind = @p0";
        if (owners is not null) where += $" AND IsSystem = 0 AND Owner IN ({string.Join(", ", owners.Select(o => P(o)))})";
        var groupBy = keyColumns.Count == 0 ? "" : " GROUP BY " + string.Join(", ", Enumerable.Range(1, keyColumns.Count));
        var sql = $"SELECT {string.Join(", ", [.. keyColumns, "COUNT(*)", .. sumColumns])} FROM resources WHERE {where}{groupBy}";

        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened) await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = connection.CreateCommand();
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            command.CommandText = sql;
            for (var i = 0; i < parameters.Count; i++)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = "@p" + i.ToString(CultureInfo.InvariantCulture);
                parameter.Value = parameters[i];
                command.Parameters.Add(parameter);
            }
            var groups = new List<JsonGroup>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var keyValues = Enumerable.Range(0, keys.Count).Select(i => reader.IsDBNull(i) ? null : reader.GetString(i)).ToList();
                var count = reader.GetInt64(keys.Count);
                if (count == 0) continue; // no GROUP BY over no rows still answers one row
                var at = keys.Count + 1;
                var figures = Enumerable.Range(0, sums.Count).Select(i => (
                    Sum: Convert.ToInt64(reader.GetValue(at + 2 * i), CultureInfo.InvariantCulture),
                    Zeros: Convert.ToInt64(reader.GetValue(at + 2 * i + 1), CultureInfo.InvariantCulture))).ToList();
                groups.Add(new JsonGroup(keyValues, count, figures.Select(f => f.Sum).ToList(), figures.Select(f => f.Zeros).ToList()));
            }
            return groups;
        }
        finally
        {
            if (opened) await db.Database.CloseConnectionAsync();
        }
    }
}
