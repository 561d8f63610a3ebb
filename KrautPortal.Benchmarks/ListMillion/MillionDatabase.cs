using System.Diagnostics;
using KrautPortal.Benchmarks.ListAndFilter;
using KrautPortal.Features.Store;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace KrautPortal.Benchmarks.ListMillion;

/// <summary>
/// A database on the test PostgreSQL (<c>scripts/start-test-postgres.sh</c>) with the portal's schema (its migrations) and
/// <see cref="VmRows"/>' VMs. The first rows go through <see cref="ResourceStore.CreateAsync"/>; the rest by COPY into
/// <c>resources</c> with the labels trigger off, then resource_labels filled in one statement by the trigger's own
/// function (<c>kraut_metadata_labels</c>), so every row has exactly the labels the trigger would have written.
/// </summary>
public sealed class MillionDatabase : IAsyncDisposable
{
    /// <summary>Names the database (<see cref="PostgresServer.ForDataDirectory"/>); nothing is written there.</summary>
    private const string KeptAt = "/var/tmp/kraut-bench-list-million";
    private const int ThroughStore = 200;

    private MillionDatabase(PostgresServer server, ServiceProvider services, ServiceProvider capturing, SqlCapture capture, bool keep)
    {
        Server = server;
        Services = services;
        Capturing = capturing;
        Capture = capture;
        _keep = keep;
    }

    private readonly bool _keep;

    public PostgresServer Server { get; }

    /// <summary>The store exactly as the portal wires it on PostgreSQL: used for every timed call.</summary>
    public ServiceProvider Services { get; }

    /// <summary>The same database with an interceptor that keeps the last SQL EF sent; never timed.</summary>
    public ServiceProvider Capturing { get; }
    public SqlCapture Capture { get; }

    /// <summary>Seconds to fill (0 when an earlier run's database was reused) and to ANALYZE.</summary>
    public double FillSeconds { get; private set; }
    public double AnalyzeSeconds { get; private set; }
    public long Labels { get; private set; }
    public string Size { get; private set; } = "";
    public string Version { get; private set; } = "";

    /// <param name="keep">Leave the database for the next run (which then reuses it if it holds <paramref name="rows"/> VMs).</param>
    public static async Task<MillionDatabase> OpenAsync(int rows, bool keep)
    {
        // One fixed name, so a kept database is found again.
        var server = PostgresServer.ForDataDirectory(KeptAt, create: true);
        long existing;
        await using (var probe = server.Open()) existing = await CountAsync(probe);
        if (existing != rows)
        {
            server.Dispose();
            server = PostgresServer.ForDataDirectory(KeptAt, create: true);
        }
        var capture = new SqlCapture();
        var db = new MillionDatabase(server, Build(server, null), Build(server, capture), capture, keep);
        await using (var connection = server.Open())
        {
            if (existing != rows)
            {
                await db.Services.MigrateKrautStoreAsync();
                var clock = Stopwatch.StartNew();
                await db.FillAsync(connection, rows);
                db.FillSeconds = clock.Elapsed.TotalSeconds;
                clock.Restart();
                await ExecuteAsync(connection, "ANALYZE");
                db.AnalyzeSeconds = clock.Elapsed.TotalSeconds;
            }
            else
            {
                Console.WriteLine($"[list-million] reusing {server.DatabaseName} from an earlier run ({rows:N0} VMs)");
            }
            db.Labels = (long)(await ScalarAsync(connection, "SELECT COUNT(*) FROM resource_labels"))!;
            db.Size = (string)(await ScalarAsync(connection, "SELECT pg_size_pretty(pg_database_size(current_database()))"))!;
            db.Version = (string)(await ScalarAsync(connection, "SHOW server_version"))!;
        }
        return db;
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection)
    {
        try
        {
            return (long)(await ScalarAsync(connection, "SELECT COUNT(*) FROM resources WHERE \"Kind\" = 'vms'"))!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return -1;
        }
    }

    private async Task FillAsync(NpgsqlConnection connection, int rows)
    {
        var generator = new VmRows(rows);
        Console.WriteLine($"[list-million] {ThroughStore} VMs through ResourceStore.CreateAsync, then {rows - ThroughStore:N0} by COPY");
        for (var i = 0; i < ThroughStore; i++)
        {
            await using var scope = Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ResourceStore>().CreateAsync(generator.Next(i), Actor.System, CancellationToken.None);
        }

        await ExecuteAsync(connection, "ALTER TABLE resources DISABLE TRIGGER resource_labels_write");
        var copy = Stopwatch.StartNew();
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY resources (\"Id\", \"Kind\", \"Name\", \"Owner\", \"Metadata\", \"Spec\", \"Status\", \"Version\", \"CreatedAt\", \"UpdatedAt\", \"IsSystem\") FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = ThroughStore; i < rows; i++)
            {
                var item = generator.Next(i);
                var at = generator.CreatedAt(i);
                await writer.StartRowAsync();
                await writer.WriteAsync(Guid.CreateVersion7(new DateTimeOffset(at)), NpgsqlDbType.Uuid);
                await writer.WriteAsync(item.Kind, NpgsqlDbType.Varchar);
                await writer.WriteAsync(item.Name, NpgsqlDbType.Varchar);
                await writer.WriteAsync(item.Owner, NpgsqlDbType.Varchar);
                await writer.WriteAsync(KrautJson.Write(item.Metadata), NpgsqlDbType.Text);
                await writer.WriteAsync(item.SpecJson, NpgsqlDbType.Text);
                await writer.WriteAsync(item.StatusJson, NpgsqlDbType.Text);
                await writer.WriteAsync(1L, NpgsqlDbType.Bigint);
                await writer.WriteAsync(at, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(at, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(false, NpgsqlDbType.Boolean);
                if (i % 100_000 == 0) Console.WriteLine($"[list-million]   {i:N0} rows in {copy.Elapsed.TotalSeconds:0} s");
            }
            await writer.CompleteAsync();
        }
        Console.WriteLine($"[list-million] COPY done in {copy.Elapsed.TotalSeconds:0.0} s; writing resource_labels");
        var labels = Stopwatch.StartNew();
        await ExecuteAsync(connection, $"""
            INSERT INTO resource_labels ("ResourceSeq", "Kind", "Key", "Value")
            SELECT r."Seq", r."Kind", l."Key", l."Value" FROM resources AS r CROSS JOIN LATERAL kraut_metadata_labels(r."Metadata") AS l
             WHERE r."Seq" > (SELECT MAX("ResourceSeq") FROM resource_labels)
            ON CONFLICT DO NOTHING
            """);
        await ExecuteAsync(connection, "ALTER TABLE resources ENABLE TRIGGER resource_labels_write");
        Console.WriteLine($"[list-million] resource_labels written in {labels.Elapsed.TotalSeconds:0.0} s");

        // The COPYed rows' labels are the trigger's: the store-written rows got theirs from the trigger, compare both ways.
        var differing = (long)(await ScalarAsync(connection, $"""
            SELECT COUNT(*) FROM resources AS r
             WHERE r."Seq" <= (SELECT MIN("Seq") FROM resources) + {ThroughStore - 1}
               AND (SELECT COUNT(*) FROM resource_labels AS x WHERE x."ResourceSeq" = r."Seq") <> (SELECT COUNT(*) FROM kraut_metadata_labels(r."Metadata"))
            """))!;
        if (differing != 0) throw new InvalidOperationException($"{differing} store-written VMs have labels other than kraut_metadata_labels gives");
    }

    private static ServiceProvider Build(PostgresServer server, SqlCapture? capture)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(server.PortalSettings).Build();
        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddKrautStore(config, Path.GetTempPath());
        if (capture is not null) services.ConfigureDbContext<PostgresKrautDbContext>(o => o.AddInterceptors(capture));
        return services.BuildServiceProvider();
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 1800 };
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        return await command.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Capturing.DisposeAsync();
        if (!_keep) Server.Dispose();
        else NpgsqlConnection.ClearAllPools();
    }
}
