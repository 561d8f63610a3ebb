using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Tests.Store;

/// <summary>
/// The model the code builds (the store's tables plus those each feature configures) is the one the migrations
/// describe: moving a table's configuration into its feature, or any other refactoring, must not change the schema.
/// </summary>
/// <remarks>SQLite's context and snapshot, whatever database the tests use (PostgreSQL's: Postgres/PostgresMigrationTests).</remarks>
[Trait("Database", "SqliteOnly")]
public sealed class ModelSnapshotTests
{
    private static SqliteKrautDbContext NewContext() =>
        new(new DbContextOptionsBuilder<SqliteKrautDbContext>().UseSqlite("Data Source=:memory:").Options);

    [Fact]
    public void Model_MatchesTheLastMigrationsSnapshot()
    {
        using var db = NewContext();
        Assert.False(db.Database.HasPendingModelChanges(), "The model differs from the migrations' snapshot: add a migration, or undo the schema change.");
    }

    [Fact]
    public void FeatureTables_AreInTheModel_ConfiguredByTheirFeatures()
    {
        using var db = NewContext();
        var tables = db.Model.GetEntityTypes().Select(e => e.GetTableName()).ToHashSet();
        foreach (var table in new[] { "resources", "history", "settings", "users", "sessions", "auth_events", "token_secrets", "ip_allocations", "mac_allocations" })
            Assert.Contains(table, tables);
    }
}
