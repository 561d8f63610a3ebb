using System.Text.Json;
using KrautPortal.Features.Store.Selectors;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.Data.Sqlite;

namespace KrautPortal.Benchmarks.ListAndFilter;

/// <summary>
/// One benchmark case: a selector for the store; the same filter written by hand against resource_labels (the query
/// Kraut sends, so the ratio compares like with like); and the JSON scan Kraut sent before resource_labels existed.
/// </summary>
public sealed record ListCase(string Label, string? Selector, Actor Actor, HandSql Hand, HandSql JsonScan)
{
    public static IReadOnlyList<ListCase> All { get; } =
    [
        new("(empty)", null, Actor.System, Walk([]), Walk([])),
        Case("env=prod", Walk([Has("env", ["prod"], "e")]), Walk([Json("env", ["prod"], "e")])),
        Case("env=prod,tier in (web,api)", Walk([Has("env", ["prod"], "e"), Has("tier", ["web", "api"], "t")]),
            Walk([Json("env", ["prod"], "e"), Json("tier", ["web", "api"], "t")])),
        Case("team=team-7,!legacy", Within("team", ["team-7"], "t", [Lacks("legacy")]), Walk([Json("team", ["team-7"], "t"), ("(r.Metadata -> '$.\"legacy\"') IS NULL", [])])),
        Case("app.tier=web", Walk([Has("app.tier", ["web"], "a")]), Walk([Json("app.tier", ["web"], "a")])),
        Case($"ticket={VmRows.RareTicket}", Lead("ticket", [VmRows.RareTicket], "r", []), Walk([Json("ticket", [VmRows.RareTicket], "r")])),
        Case("env!=prod", Walk([Lacks("env", ["prod"], "e")]), Walk([JsonNot("env", ["prod"], "e")])),
        new("(empty), as a member of team-7 (not admin)", null, new Actor("alice", false, ["team-7"]),
            Walk([("NOT r.IsSystem AND r.Owner IN ($o1, $o2)", [("$o1", "alice"), ("$o2", "team-7")])]),
            Walk([("NOT r.IsSystem AND r.Owner IN ($o1, $o2)", [("$o1", "alice"), ("$o2", "team-7")])])),
    ];

    private static ListCase Case(string selector, HandSql hand, HandSql jsonScan) => new(selector, selector, Actor.System, hand, jsonScan);

    private static HandSql Walk(IEnumerable<(string Sql, (string, object)[] Parameters)> terms) =>
        new("resources AS r", ["r.Kind = $kind", .. terms.Select(t => t.Sql)], [.. terms.SelectMany(t => t.Parameters)]);

    /// <summary>Starts from the labels of one rare value, as Kraut does when it names at most <see cref="SelectorPlanner.StartFromAtMost"/> objects.</summary>
    private static HandSql Lead(string key, string[] values, string name, IEnumerable<(string Sql, (string, object)[] Parameters)> terms)
    {
        var (set, parameters) = Values(values, name);
        return new("resource_labels AS lead CROSS JOIN resources AS r",
            ["r.Seq = lead.ResourceSeq", $"lead.Kind = $kind AND lead.Key = '{key}' AND lead.Value IN ({set})", "r.Kind = $kind", .. terms.Select(t => t.Sql)],
            [.. parameters, .. terms.SelectMany(t => t.Parameters)]);
    }

    /// <summary>Walks the name index keeping the objects of one value read once into a set, as Kraut does up to <see cref="SelectorPlanner.SetAtMost"/>.</summary>
    private static HandSql Within(string key, string[] values, string name, IEnumerable<(string Sql, (string, object)[] Parameters)> terms)
    {
        var (set, parameters) = Values(values, name);
        return new("resources AS r",
            ["r.Kind = $kind", $"r.Seq IN (SELECT lead.ResourceSeq FROM resource_labels AS lead WHERE lead.Kind = $kind AND lead.Key = '{key}' AND lead.Value IN ({set}))", .. terms.Select(t => t.Sql)],
            [.. parameters, .. terms.SelectMany(t => t.Parameters)]);
    }

    private static (string Set, (string, object)[] Parameters) Values(string[] values, string name)
    {
        var parameters = values.Select((v, i) => ($"${name}{i}", (object)v)).ToArray();
        return (string.Join(", ", parameters.Select(p => p.Item1)), parameters);
    }

    private static string LabelOf(string key) => $"SELECT 1 FROM resource_labels AS l WHERE l.ResourceSeq = r.Seq AND l.Key = '{key}'";

    private static (string, (string, object)[]) Has(string key, string[] values, string name)
    {
        var (set, parameters) = Values(values, name);
        return ($"EXISTS ({LabelOf(key)} AND l.Value IN ({set}))", parameters);
    }

    private static (string, (string, object)[]) Lacks(string key) => ($"NOT EXISTS ({LabelOf(key)})", []);

    private static (string, (string, object)[]) Lacks(string key, string[] values, string name)
    {
        var (set, parameters) = Values(values, name);
        return ($"NOT EXISTS ({LabelOf(key)} AND l.Value IN ({set}))", parameters);
    }

    // Before resource_labels: a selector value matched the JSON string or a number/boolean written the same way.
    private static (string, (string, object)[]) Json(string key, string[] values, string name)
    {
        var parameters = JsonValues(values, name);
        return ($"{JsonPath(key)} IN ({string.Join(", ", parameters.Select(p => p.Item1))})", parameters);
    }

    private static (string, (string, object)[]) JsonNot(string key, string[] values, string name)
    {
        var parameters = JsonValues(values, name);
        var json = JsonPath(key);
        return ($"({json} IS NULL OR {json} NOT IN ({string.Join(", ", parameters.Select(p => p.Item1))}))", parameters);
    }

    private static (string, object)[] JsonValues(string[] values, string name) =>
        [.. values.SelectMany((v, i) => new (string, object)[] { ($"${name}{i}q", JsonSerializer.Serialize(v)), ($"${name}{i}", v) })];

    private static string JsonPath(string key) => $"(r.Metadata -> '${string.Concat(key.Split('.').Select(s => ".\"" + s + "\""))}')";
}

/// <summary>A hand-written query's FROM, its WHERE terms (ANDed) and their parameters.</summary>
public sealed record HandSql(string From, IReadOnlyList<string> Where, IReadOnlyList<(string Name, object Value)> Parameters)
{
    public string WhereSql => string.Join(" AND ", Where);

    /// <summary>Where the query starts, as <see cref="Of"/> reads it from Kraut's SQL too.</summary>
    public string Shape => Of(From + " WHERE " + WhereSql);

    public static string Of(string sql)
    {
        var plain = sql.Replace("\"", "", StringComparison.Ordinal);
        return plain.Contains("resource_labels AS lead CROSS JOIN", StringComparison.Ordinal) ? "labels, then sort"
            : plain.Contains("Seq IN (SELECT lead.ResourceSeq", StringComparison.Ordinal) ? "name index, label set"
            : "name index";
    }
}

/// <summary>
/// The nearest hand-made baseline for ResourceStore.ListAsync: the same FROM and WHERE, ORDER BY Name, Seq, LIMIT 101
/// and a row-value keyset, as prepared Microsoft.Data.Sqlite commands, materialised into the same <see cref="ResourceRow"/>.
/// </summary>
public sealed class HandQuery : IDisposable
{
    private const string Columns = "r.Seq, r.Id, r.Kind, r.Name, r.Owner, r.Metadata, r.Spec, r.Status, r.Version, r.CreatedAt, r.UpdatedAt, r.DeletionRequestedAt, r.IsSystem";
    private readonly SqliteCommand _first;
    private readonly SqliteCommand _next;

    public HandQuery(SqliteConnection connection, HandSql sql, int limit)
    {
        FirstSql = $"SELECT {Columns} FROM {sql.From} WHERE {sql.WhereSql} ORDER BY r.Name, r.Seq LIMIT {limit + 1}";
        NextSql = $"SELECT {Columns} FROM {sql.From} WHERE {sql.WhereSql} AND (r.Name, r.Seq) > ($afterName, $afterSeq) ORDER BY r.Name, r.Seq LIMIT {limit + 1}";
        Parameters = [("$kind", VmRows.Kind), .. sql.Parameters];
        _first = Prepare(connection, FirstSql, Parameters);
        _next = Prepare(connection, NextSql, [.. Parameters, ("$afterName", ""), ("$afterSeq", 0L)]);
        Limit = limit;
    }

    public string FirstSql { get; }
    public string NextSql { get; }
    public IReadOnlyList<(string Name, object Value)> Parameters { get; }
    public int Limit { get; }

    public async Task<(List<ResourceRow> Rows, (string Name, long Seq)? Next)> PageAsync((string Name, long Seq)? after)
    {
        var command = _first;
        if (after is { } at)
        {
            command = _next;
            command.Parameters["$afterName"].Value = at.Name;
            command.Parameters["$afterSeq"].Value = at.Seq;
        }
        var rows = new List<ResourceRow>(Limit + 1);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add(new ResourceRow
                {
                    Seq = reader.GetInt64(0),
                    Id = reader.GetGuid(1),
                    Kind = reader.GetString(2),
                    Name = reader.GetString(3),
                    Owner = reader.GetString(4),
                    Metadata = reader.GetString(5),
                    Spec = reader.GetString(6),
                    Status = reader.GetString(7),
                    Version = reader.GetInt64(8),
                    CreatedAt = DateTime.SpecifyKind(reader.GetDateTime(9), DateTimeKind.Utc),
                    UpdatedAt = DateTime.SpecifyKind(reader.GetDateTime(10), DateTimeKind.Utc),
                    DeletionRequestedAt = reader.IsDBNull(11) ? null : DateTime.SpecifyKind(reader.GetDateTime(11), DateTimeKind.Utc),
                    IsSystem = reader.GetBoolean(12),
                });
            }
        }
        if (rows.Count <= Limit) return (rows, null);
        rows.RemoveAt(rows.Count - 1);
        return (rows, (rows[^1].Name, rows[^1].Seq));
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, IEnumerable<(string Name, object Value)> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        command.Prepare();
        return command;
    }

    public void Dispose()
    {
        _first.Dispose();
        _next.Dispose();
    }
}
