using KrautPortal.Features.Store;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Tests.Usage;

/// <summary>A migrated in-memory SQLite database of the portal's own schema, for tests of the usage tables alone.</summary>
internal sealed class UsageDatabase : IAsyncDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");

    private UsageDatabase()
    {
    }

    public static async Task<UsageDatabase> CreateAsync()
    {
        var database = new UsageDatabase();
        await database._connection.OpenAsync();
        await using var db = database.Context();
        await db.Database.MigrateAsync();
        return database;
    }

    /// <summary>A fresh context on the same database (one per unit of work, as the portal does).</summary>
    public KrautDbContext Context() =>
        new SqliteKrautDbContext(new DbContextOptionsBuilder<SqliteKrautDbContext>().UseSqlite(_connection).Options);

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}

/// <summary>A clock the test sets.</summary>
internal sealed class FixedClock(DateTime now) : TimeProvider
{
    public DateTime Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => new(Now, TimeSpan.Zero);
}
