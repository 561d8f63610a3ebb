using KrautPortal.Features.Store.Selectors;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Store;

/// <summary>What differs between databases, chosen once from configuration; features never see the provider.</summary>
public sealed record DatabaseProvider(string Name, ISelectorSqlDialect Dialect, Func<Exception, bool> IsUniqueViolation)
{
    /// <summary>
    /// SQLite has one writer at a time, and a writer that finds the file locked polls until its timeout: with dozens
    /// waiting, an unlucky one starves. Transactions of this process queue here instead (in order, without polling).
    /// </summary>
    public SemaphoreSlim? TransactionQueue { get; init; }

    /// <summary>
    /// Takes a named lock held until the current transaction ends (<see cref="ResourceStore.LockAsync"/>). Null where the
    /// provider has one writer at a time anyway (SQLite). PostgreSQL: <c>SELECT pg_advisory_xact_lock(hashtext(@name))</c>.
    /// </summary>
    public Func<KrautDbContext, string, CancellationToken, Task>? TransactionLock { get; init; }
}

public static class DatabaseSetup
{
    /// <summary>Registers the store for <c>Database:Provider</c> (<c>sqlite</c> by default).</summary>
    public static IServiceCollection AddKrautStore(this IServiceCollection services, IConfiguration config, string dataDirectory)
    {
        var provider = (config["Database:Provider"] ?? "sqlite").ToLowerInvariant();
        switch (provider)
        {
            case "sqlite":
                var connectionString = config.GetConnectionString("Kraut")
                    ?? new SqliteConnectionStringBuilder
                    {
                        DataSource = Path.Combine(dataDirectory, "kraut.db"),
                        Pooling = true,
                        DefaultTimeout = 30,
                    }.ToString();
                services.AddDbContext<KrautDbContext, SqliteKrautDbContext>(o => o.UseSqlite(connectionString));
                services.AddSingleton(new DatabaseProvider("sqlite", new LabelSelectorSql(),
                    e => e.InnerException is SqliteException { SqliteErrorCode: 19 } s && s.Message.Contains("UNIQUE", StringComparison.Ordinal))
                {
                    TransactionQueue = new SemaphoreSlim(1, 1),
                });
                break;
            default:
                throw new InvalidOperationException($"Database:Provider '{provider}' is not supported; use 'sqlite'.");
        }
        services.AddSingleton<ChangeFeed>();
        services.AddScoped<ResourceStore>();
        services.AddScoped<KindReader>();
        return services;
    }

    /// <summary>Brings the schema up to date; SQLite also switches to WAL so readers never wait for the reconciler.</summary>
    public static async Task MigrateKrautStoreAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        await db.Database.MigrateAsync(ct);
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
    }
}
