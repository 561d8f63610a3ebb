using KrautPortal.Features.Store;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Audit;

/// <summary>
/// <c>KrautPortal audit verify [--data DIR | --db FILE]</c>: checks the audit chain straight from the database file,
/// with or without the portal running. Exit code 0 when the chain holds, 1 when it is broken, 2 when it cannot be checked.
/// </summary>
public static class AuditCommand
{
    public const string Usage = "usage: KrautPortal audit verify [--data <data directory> | --db <kraut.db>]";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args is not ["verify", .. var options])
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }
        string? file = null;
        for (var i = 0; i < options.Length; i++)
        {
            switch (options[i])
            {
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
        file ??= Path.Combine(Environment.GetEnvironmentVariable("Kraut__DataDirectory") ?? Path.Combine(Directory.GetCurrentDirectory(), ".data"), "kraut.db");
        if (!File.Exists(file))
        {
            await error.WriteLineAsync($"No database at {file}. {Usage}");
            return 2;
        }
        try
        {
            var report = await VerifyFileAsync(file, CancellationToken.None);
            await (report.Ok ? output : error).WriteLineAsync(report.ToString());
            return report.Ok ? 0 : 1;
        }
        catch (SqliteException e)
        {
            await error.WriteLineAsync($"Cannot read the audit trail in {file}: {e.Message}");
            return 2;
        }
    }

    public static async Task<ChainReport> VerifyFileAsync(string file, CancellationToken ct)
    {
        var connection = new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString();
        await using var db = new SqliteKrautDbContext(new DbContextOptionsBuilder<SqliteKrautDbContext>().UseSqlite(connection).Options);
        return await VerifyAsync(db, ct);
    }

    public static Task<ChainReport> VerifyAsync(KrautDbContext db, CancellationToken ct) =>
        AuditChain.Verify(db.AuditEntries.AsNoTracking().OrderBy(e => e.Seq).AsAsyncEnumerable(), ct);
}
