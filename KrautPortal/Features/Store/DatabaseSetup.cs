using Microsoft.Extensions.DependencyInjection.Extensions;
using KrautPortal.Features.Store.Selectors;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace KrautPortal.Features.Store;

/// <summary>What differs between databases, chosen once from configuration; features never see the provider.</summary>
public sealed record DatabaseProvider(string Name, ISelectorSqlDialect Dialect, Func<Exception, bool> IsUniqueViolation)
{
    /// <summary>
    /// SQLite has one writer at a time, and a writer that finds the file locked polls until its timeout: with dozens
    /// waiting, an unlucky one starves. Transactions of this process queue here instead (in order, without polling).
    /// PostgreSQL queues too, several abreast (see DatabaseSetup.PostgresWritersAbreast).
    /// </summary>
    public SemaphoreSlim? TransactionQueue { get; init; }
}

public static class DatabaseSetup
{
    /// <summary>Registers the store for <c>Database:Provider</c> (<c>sqlite</c> by default, or <c>postgres</c>).</summary>
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
                services.AddSingleton(new KrautContextFactory(typeof(SqliteKrautDbContext), perOperationInCircuits: false));
                services.AddSingleton(Sqlite);
                break;
            case "postgres" or "postgresql":
                var postgres = PostgresConnectionString(config.GetConnectionString("Kraut")
                    ?? throw new InvalidOperationException("Database:Provider is 'postgres' but ConnectionStrings:Kraut is not set: give an Npgsql "
                        + "connection string (Host=…;Database=…;Username=…) or a postgres://user:password@host:port/database URL."));
                services.AddDbContext<KrautDbContext, PostgresKrautDbContext>(o => o.UseNpgsql(postgres));
                services.AddSingleton(new KrautContextFactory(typeof(PostgresKrautDbContext), perOperationInCircuits: true));
                var abreast = config.GetValue("Database:WritersAbreast", PostgresWritersAbreast);
                if (abreast < 1) throw new InvalidOperationException($"Database:WritersAbreast must be 1 or more, not {abreast}.");
                services.AddSingleton(Postgres(abreast));
                break;
            default:
                throw new InvalidOperationException($"Database:Provider '{provider}' is not supported; use 'sqlite' or 'postgres'.");
        }
        services.AddSingleton<ChangeFeed>();
        // One portal tells nobody; the replica set-up registers PostgreSQL's NOTIFY over this. A store built on its own
        // (tools, tests that wire only the store) still resolves.
        services.TryAddSingleton<IReplicaBroadcast, NoReplicas>();
        // Store services take their context from the session: the scope's one, or one per operation in a circuit.
        services.AddScoped<DbSession>();
        services.TryAddEnumerable(ServiceDescriptor.Scoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, CircuitDbSession>());
        services.AddScoped<ResourceStore>();
        services.AddScoped<KindReader>();
        return services;
    }

    private static DatabaseProvider Sqlite => new("sqlite", new LabelSelectorSql(),
        e => e.InnerException is SqliteException { SqliteErrorCode: 19 } s && s.Message.Contains("UNIQUE", StringComparison.Ordinal))
    {
        TransactionQueue = new SemaphoreSlim(1, 1),
    };

    // PostgreSQL could run writers side by side, and what must not interleave across replicas takes a transaction lock
    // (StoreSql.TransactionLock). Within one process, though, writes still take turns: a writer waiting for a lock holds a
    // pooled connection (a burst of a thousand NIC adds to one network emptied Npgsql's pool of 100, and the rest failed
    // after its timeout), and writers side by side on one object lose each other's version checks and retry (16 abreast,
    // 1,000 concurrent NIC adds over 125 VMs did not finish in 100 s; one at a time took 92 s, SQLite about 60 s on the
    // same loaded machine). EF puts a savepoint before each SaveChanges inside a transaction, so a refused insert (IPAM's
    // next candidate) leaves the transaction usable, as on SQLite.
    private static DatabaseProvider Postgres(int writersAbreast) => new("postgres", new LabelSelectorSql(),
        e => e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
    {
        TransactionQueue = new SemaphoreSlim(writersAbreast, writersAbreast),
    };

    /// <summary>
    /// Write transactions one process runs at once on PostgreSQL unless <c>Database:WritersAbreast</c> says otherwise (see
    /// above; the tests raise it so that one process's writers meet in the database's locks, as replicas' writers do).
    /// </summary>
    public const int PostgresWritersAbreast = 1;

    /// <summary>
    /// An Npgsql connection string as given, or one made from a <c>postgres://user:password@host:port/database?sslmode=…</c>
    /// URL (the form libpq, psql and most hosting services print); user and password may be percent-encoded.
    /// </summary>
    public static string PostgresConnectionString(string value)
    {
        if (!value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return value;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || string.IsNullOrEmpty(url.Host))
            throw new InvalidOperationException("ConnectionStrings:Kraut is not a valid postgres:// URL; expected postgres://user:password@host:port/database.");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = url.Host.Trim('[', ']'),
            Port = url.IsDefaultPort || url.Port <= 0 ? 5432 : url.Port,
            Database = Uri.UnescapeDataString(url.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : null,
        };
        if (url.UserInfo.Length > 0)
        {
            var colon = url.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? url.UserInfo : url.UserInfo[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(url.UserInfo[(colon + 1)..]);
        }
        foreach (var pair in url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var (key, item) = eq < 0 ? (pair, "") : (pair[..eq], pair[(eq + 1)..]);
            key = Uri.UnescapeDataString(key);
            item = Uri.UnescapeDataString(item);
            // libpq's names where they differ from Npgsql's keywords.
            builder[key.ToLowerInvariant() switch
            {
                "sslmode" => "SSL Mode",
                "sslrootcert" => "Root Certificate",
                "application_name" => "Application Name",
                "connect_timeout" => "Timeout",
                _ => key,
            }] = item;
        }
        return builder.ConnectionString;
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
