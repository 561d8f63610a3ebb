using KrautPortal.Features.Store;
using KrautPortal.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace KrautPortal.Tests.Postgres;

/// <summary>The PostgreSQL store's schema: its migrations on an empty database, its snapshot, the label trigger, the connection setting.</summary>
public sealed class PostgresMigrationTests
{
    [Fact]
    public void Model_MatchesThePostgresMigrationsSnapshot()
    {
        // No server needed: the model is compared with the snapshot in Migrations/Postgres. A table added with only a
        // SQLite migration fails here.
        using var db = new PostgresKrautDbContext(new DbContextOptionsBuilder<PostgresKrautDbContext>().UseNpgsql("Host=127.0.0.1;Database=none").Options);
        Assert.False(db.Database.HasPendingModelChanges(),
            "The model differs from the PostgreSQL migrations' snapshot: add a migration with --context PostgresKrautDbContext --output-dir Migrations/Postgres.");
    }

    [Fact]
    public async Task Migrations_ApplyOnAnEmptyDatabase_AndTheLabelTriggerFollowsEveryMetadataWrite()
    {
        using var server = PostgresServer.CreateDatabase();
        await using var services = Services(server);
        await services.MigrateKrautStoreAsync();

        await using var connection = server.Open();
        var tables = await ColumnAsync<string>(connection, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
        foreach (var table in new[] { "resources", "history", "settings", "resource_labels", "users", "sessions", "auth_events", "token_secrets",
                     "ip_allocations", "mac_allocations", "audit_entries", "usage_hours", "__EFMigrationsHistory" })
            Assert.Contains(table, tables);
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        }

        // The same labels SQLite's triggers compute: dotted keys, strings as they read, other scalars as JSON text,
        // nothing for members a selector cannot name or inside arrays.
        var metadata = """{"labels":{"app":"db","n":1.50,"on":true,"none":null,"a.b":{"x":1},"arr":[1,{"q":1}],"deep":{"er":"x"}},"long":"LONG"}"""
            .Replace("LONG", new string('x', 300), StringComparison.Ordinal);
        await ExecuteAsync(connection, """
            INSERT INTO resources ("Id", "Kind", "Name", "Owner", "Metadata", "Spec", "Status", "Version", "CreatedAt", "UpdatedAt", "IsSystem")
            VALUES (gen_random_uuid(), 'vms', 'one', 'alice', $1, '{}', '{}', 1, now(), now(), FALSE)
            """, metadata);
        Assert.Equal(
            ["labels.app:db", "labels.arr:", "labels.deep.er:x", "labels.deep:", "labels.n:1.50", "labels.none:null", "labels.on:true", "labels:", "long:"],
            await LabelsAsync(connection));

        await ExecuteAsync(connection, """UPDATE resources SET "Metadata" = $1 WHERE "Name" = 'one'""", """{"labels":{"app":"web"}}""");
        Assert.Equal(["labels.app:web", "labels:"], await LabelsAsync(connection));
        await ExecuteAsync(connection, """UPDATE resources SET "Spec" = '{"x":1}' WHERE "Name" = 'one'""");
        Assert.Equal(["labels.app:web", "labels:"], await LabelsAsync(connection));
        await ExecuteAsync(connection, """DELETE FROM resources WHERE "Name" = 'one'""");
        Assert.Empty(await LabelsAsync(connection));
    }

    [Theory]
    [InlineData("postgres://kraut:s%40cret@db.example:6543/kraut_prod?sslmode=require",
        "Host=db.example;Port=6543;Database=kraut_prod;Username=kraut;Password=s@cret;SSL Mode=Require")]
    [InlineData("postgresql://kraut@127.0.0.1/kraut", "Host=127.0.0.1;Port=5432;Database=kraut;Username=kraut")]
    [InlineData("Host=h;Database=d;Username=u", "Host=h;Database=d;Username=u")]
    public void ConnectionStrings_AcceptANpgsqlStringOrAPostgresUrl(string given, string expected)
    {
        Assert.Equal(new NpgsqlConnectionStringBuilder(expected).ConnectionString,
            new NpgsqlConnectionStringBuilder(DatabaseSetup.PostgresConnectionString(given)).ConnectionString);
    }

    [Fact]
    public void APostgresProviderWithoutAConnectionString_IsRefusedNamingTheSetting()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Provider"] = "postgres" }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddKrautStore(config, Path.GetTempPath()));
        Assert.Contains("ConnectionStrings:Kraut", e.Message, StringComparison.Ordinal);
    }

    internal static ServiceProvider Services(PostgresServer server)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(server.PortalSettings).Build();
        return new ServiceCollection().AddSingleton(TimeProvider.System).AddKrautStore(config, Path.GetTempPath()).BuildServiceProvider();
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var v in values) command.Parameters.Add(new NpgsqlParameter { Value = v });
        await command.ExecuteNonQueryAsync();
    }

    internal static async Task<List<T>> ColumnAsync<T>(NpgsqlConnection connection, string sql, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var v in values) command.Parameters.Add(new NpgsqlParameter { Value = v });
        await using var reader = await command.ExecuteReaderAsync();
        var list = new List<T>();
        while (await reader.ReadAsync()) list.Add(reader.GetFieldValue<T>(0));
        return list;
    }

    /// <summary>"key:value" of every label, in byte order.</summary>
    private static async Task<List<string>> LabelsAsync(NpgsqlConnection connection) =>
        (await ColumnAsync<string>(connection, """SELECT "Key" || ':' || COALESCE("Value", '') FROM resource_labels""")).Order(StringComparer.Ordinal).ToList();
}
