using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace KrautPortal.Features.Store;

/// <summary>The values of a SQL text built piece by piece: each becomes a parameter <c>@pN</c>, never text in the SQL.</summary>
internal sealed class SqlValues
{
    public List<object> Values { get; } = [];

    public string Add(object value)
    {
        Values.Add(value);
        return "@p" + (Values.Count - 1).ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Aggregates EF cannot express over JSON (sums and groups by json_extract) run as SQL on the context's own connection,
/// inside its current transaction when there is one, so a check made in a write's transaction sees what it sees.
/// </summary>
internal static class RawQuery
{
    // One command at a time per context. A page's components may load side by side in one circuit, on one context; EF
    // refuses that for its own queries, but these bypass it, and Npgsql refuses a second command on a connection that
    // is still reading ("A command is already in progress"; SQLite's connection lets it pass).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<KrautDbContext, SemaphoreSlim> Turns = new();

    public static async Task<List<T>> ReadAsync<T>(KrautDbContext db, string sql, SqlValues values, Func<DbDataReader, T> row, CancellationToken ct)
    {
        var turn = Turns.GetValue(db, _ => new SemaphoreSlim(1, 1));
        await turn.WaitAsync(ct);
        try
        {
            return await ReadInTurnAsync(db, sql, values, row, ct);
        }
        finally
        {
            turn.Release();
        }
    }

    private static async Task<List<T>> ReadInTurnAsync<T>(KrautDbContext db, string sql, SqlValues values, Func<DbDataReader, T> row, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened) await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = connection.CreateCommand();
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            command.CommandText = sql;
            for (var i = 0; i < values.Values.Count; i++)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = "@p" + i.ToString(CultureInfo.InvariantCulture);
                parameter.Value = values.Values[i];
                command.Parameters.Add(parameter);
            }
            var rows = new List<T>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) rows.Add(row(reader));
            return rows;
        }
        finally
        {
            if (opened) await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>An integer column; SQL's SUM over no rows is NULL, which counts as 0.</summary>
    public static long Int64(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? 0 : Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);
}
