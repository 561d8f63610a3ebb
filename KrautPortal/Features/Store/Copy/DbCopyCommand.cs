using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace KrautPortal.Features.Store.Copy;

/// <summary>
/// <c>KrautPortal db copy --to &lt;postgres URL or connection string&gt; [--data DIR | --db FILE]</c>: moves an SQLite
/// installation to PostgreSQL. Every table of the model is copied row by row with its keys (sequence numbers, ids,
/// versions, hashes) as they are, in one transaction on the target, whose identity sequences then continue after the
/// highest copied value. The target must be empty (it is migrated first); the portal must be stopped. Exit code 0 when
/// copied, 1 when refused or failed (nothing written), 2 on wrong usage.
/// </summary>
public static class DbCopyCommand
{
    public const string Usage = "usage: KrautPortal db copy --to <postgres://user:password@host:port/database | Npgsql connection string> "
        + "[--data <data directory> | --db <kraut.db>]";

    private const int Batch = 1000;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args is not ["copy", .. var options])
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }
        string? file = null, to = null;
        for (var i = 0; i < options.Length; i++)
        {
            switch (options[i])
            {
                case "--to" when i + 1 < options.Length:
                    to = options[++i];
                    break;
                case "--data" when i + 1 < options.Length:
                    file = Path.Combine(options[++i], "kraut.db");
                    break;
                case "--db" when i + 1 < options.Length:
                    file = options[++i];
                    break;
                default:
                    await error.WriteLineAsync($"unknown option '{options[i]}'. {Usage}");
                    return 2;
            }
        }
        if (to is null)
        {
            await error.WriteLineAsync($"--to is required. {Usage}");
            return 2;
        }
        file ??= Path.Combine(Environment.GetEnvironmentVariable("Kraut__DataDirectory") ?? Path.Combine(Directory.GetCurrentDirectory(), ".data"), "kraut.db");
        if (!File.Exists(file))
        {
            await error.WriteLineAsync($"No database at {file}. {Usage}");
            return 2;
        }
        try
        {
            var counts = await CopyAsync(file, DatabaseSetup.PostgresConnectionString(to), CancellationToken.None);
            foreach (var (table, count) in counts) await output.WriteLineAsync($"{table,-24} {count,10}");
            await output.WriteLineAsync($"Copied {counts.Sum(c => c.Rows)} rows of {counts.Count} tables from {file}.");
            return 0;
        }
        catch (Exception e) when (e is DbCopyException or NpgsqlException or SqliteException or InvalidOperationException)
        {
            await error.WriteLineAsync($"Nothing copied: {e.Message}");
            return 1;
        }
    }

    /// <summary>Copies every table; returns each table with its row count, in the order copied.</summary>
    public static async Task<List<(string Table, long Rows)>> CopyAsync(string sqliteFile, string postgres, CancellationToken ct)
    {
        var sourceConnection = new SqliteConnectionStringBuilder { DataSource = sqliteFile, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString();
        await using var source = new SqliteKrautDbContext(new DbContextOptionsBuilder<SqliteKrautDbContext>().UseSqlite(sourceConnection).Options);
        // The schema this build knows: a file of an older version is brought up to it first, as starting the portal would.
        await source.Database.MigrateAsync(ct);
        await using var target = new PostgresKrautDbContext(new DbContextOptionsBuilder<PostgresKrautDbContext>().UseNpgsql(postgres).Options);
        await target.Database.MigrateAsync(ct);

        var tables = Ordered(target.Model);
        foreach (var type in tables)
        {
            if (await CountAsync(target, type, ct) > 0)
                throw new DbCopyException($"the target database is not empty: {type.GetTableName()} has rows. Copy into a new, empty database.");
        }

        var counts = new List<(string, long)>();
        await using var transaction = await target.Database.BeginTransactionAsync(ct);
        foreach (var type in tables)
        {
            var table = type.GetTableName()!;
            var rows = await CountAsync(source, source.Model.FindEntityType(type.ClrType)!, ct);
            // Filled by the database from rows copied before it (PostgreSQL's trigger keeps the label index): only compared.
            var derived = await CountAsync(target, type, ct);
            if (derived > 0)
            {
                if (derived != rows) throw new DbCopyException($"{table}: the target derived {derived} rows from what was copied, the source has {rows}.");
            }
            else
            {
                await (Task)typeof(DbCopyCommand).GetMethod(nameof(CopyTableAsync), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                    .MakeGenericMethod(type.ClrType).Invoke(null, [source, target, ct])!;
            }
            await ResetIdentityAsync(target, type, ct);
            counts.Add((table, rows));
        }
        await transaction.CommitAsync(ct);
        return counts;
    }

    private static async Task CopyTableAsync<T>(KrautDbContext source, KrautDbContext target, CancellationToken ct) where T : class
    {
        var pending = 0;
        await foreach (var row in source.Set<T>().AsNoTracking().AsAsyncEnumerable().WithCancellation(ct))
        {
            target.Set<T>().Add(row);
            if (++pending < Batch) continue;
            await target.SaveChangesAsync(ct);
            target.ChangeTracker.Clear();
            pending = 0;
        }
        await target.SaveChangesAsync(ct);
        target.ChangeTracker.Clear();
    }

    /// <summary>Rows were inserted with their own keys; the identity continues after the highest, not at 1.</summary>
    private static async Task ResetIdentityAsync(KrautDbContext target, IEntityType type, CancellationToken ct)
    {
        var table = type.GetTableName()!;
        foreach (var property in type.GetProperties().Where(p => p.ValueGenerated == ValueGenerated.OnAdd && (p.ClrType == typeof(long) || p.ClrType == typeof(int))))
        {
            var column = property.GetColumnName(StoreObjectIdentifier.Table(table, type.GetSchema()));
#pragma warning disable EF1002, EF1003 // names from the model, quoted; no values
            await target.Database.ExecuteSqlRawAsync(
                $"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), COALESCE((SELECT MAX(\"{column}\") FROM \"{table}\"), 0) + 1, false) "
                + $"WHERE pg_get_serial_sequence('\"{table}\"', '{column}') IS NOT NULL", ct);
#pragma warning restore EF1002, EF1003
        }
    }

    private static async Task<long> CountAsync(KrautDbContext db, IEntityType type, CancellationToken ct)
    {
#pragma warning disable EF1002, EF1003 // a table name from the model, quoted
        return await db.Database.SqlQueryRaw<long>($"SELECT COUNT(*) AS \"Value\" FROM \"{type.GetTableName()}\"").SingleAsync(ct);
#pragma warning restore EF1002, EF1003
    }

    /// <summary>The model's tables, each after those its foreign keys point to.</summary>
    private static List<IEntityType> Ordered(IModel model)
    {
        var types = model.GetEntityTypes().Where(t => t.GetTableName() is not null && !t.IsOwned()).ToList();
        var ordered = new List<IEntityType>();
        void Visit(IEntityType type, HashSet<IEntityType> seen)
        {
            if (ordered.Contains(type) || !seen.Add(type)) return;
            foreach (var key in type.GetForeignKeys()) if (key.PrincipalEntityType != type) Visit(key.PrincipalEntityType, seen);
            ordered.Add(type);
        }
        foreach (var type in types.OrderBy(t => t.GetTableName(), StringComparer.Ordinal)) Visit(type, []);
        return ordered;
    }
}

public sealed class DbCopyException(string message) : Exception(message);
