using System.Text.Json;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.Data.Sqlite;

namespace KrautPortal.Benchmarks.ListAndFilter;

/// <summary>One benchmark case: a selector for the store, and the same filter written by hand in SQL.</summary>
public sealed record ListCase(string Label, string? Selector, Actor Actor, string HandWhere, IReadOnlyList<(string Name, object Value)> HandParameters)
{
    public static IReadOnlyList<ListCase> All { get; } =
    [
        new("(empty)", null, Actor.System, "Kind = $kind", []),
        Case("env=prod", Eq("env", "prod", "e")),
        Case("env=prod,tier in (web,api)", Eq("env", "prod", "e"), In("tier", ["web", "api"], "t")),
        Case("team=team-7,!legacy", Eq("team", "team-7", "t"), ("(Metadata -> '$.\"legacy\"') IS NULL", [])),
        Case("app.tier=web", Eq("app.tier", "web", "a")),
        Case($"ticket={VmRows.RareTicket}", Eq("ticket", VmRows.RareTicket, "r")),
        Case("env!=prod", NotEq("env", "prod", "e")),
        new("(empty), as a member of team-7 (not admin)", null, new Actor("alice", false, ["team-7"]),
            "Kind = $kind AND NOT IsSystem AND Owner IN ($o1, $o2)", [("$o1", "alice"), ("$o2", "team-7")]),
    ];

    private static ListCase Case(string selector, params (string Sql, (string, object)[] Parameters)[] terms) =>
        new(selector, selector, Actor.System, "Kind = $kind AND " + string.Join(" AND ", terms.Select(t => t.Sql)), [.. terms.SelectMany(t => t.Parameters)]);

    // A selector value matches the JSON string or a number/boolean written the same way, as in the dialect.
    private static (string, (string, object)[]) Eq(string key, string value, string name) => In(key, [value], name);

    private static (string, (string, object)[]) In(string key, string[] values, string name)
    {
        var parameters = values.SelectMany((v, i) => new (string, object)[] { ($"${name}{i}q", JsonSerializer.Serialize(v)), ($"${name}{i}", v) }).ToArray();
        return ($"{Json(key)} IN ({string.Join(", ", parameters.Select(p => p.Item1))})", parameters);
    }

    private static string Json(string key) => $"(Metadata -> '${string.Concat(key.Split('.').Select(s => ".\"" + s + "\""))}')";

    private static (string, (string, object)[]) NotEq(string key, string value, string name)
    {
        var (_, parameters) = In(key, [value], name);
        var json = Json(key);
        return ($"({json} IS NULL OR {json} NOT IN ({string.Join(", ", parameters.Select(p => p.Item1))}))", parameters);
    }
}

/// <summary>
/// The nearest hand-made baseline for ResourceStore.ListAsync: the same WHERE, ORDER BY Name, Seq, LIMIT 101 and a
/// row-value keyset, as prepared Microsoft.Data.Sqlite commands, materialised into the same <see cref="ResourceRow"/>.
/// </summary>
public sealed class HandQuery : IDisposable
{
    private const string Columns = "Seq, Id, Kind, Name, Owner, Metadata, Spec, Status, Version, CreatedAt, UpdatedAt, DeletionRequestedAt, IsSystem";
    private readonly SqliteCommand _first;
    private readonly SqliteCommand _next;

    public HandQuery(SqliteConnection connection, ListCase @case, int limit)
    {
        FirstSql = $"SELECT {Columns} FROM resources WHERE {@case.HandWhere} ORDER BY Name, Seq LIMIT {limit + 1}";
        NextSql = $"SELECT {Columns} FROM resources WHERE {@case.HandWhere} AND (Name, Seq) > ($afterName, $afterSeq) ORDER BY Name, Seq LIMIT {limit + 1}";
        Parameters = [("$kind", VmRows.Kind), .. @case.HandParameters];
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
