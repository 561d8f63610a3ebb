using System.Diagnostics;
using System.Text.Json.Nodes;
using KrautPortal.Benchmarks.ListAndFilter;
using KrautPortal.Features.Store;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace KrautPortal.Benchmarks.ListMillion;

/// <summary>
/// A database on the test PostgreSQL (<c>scripts/start-test-postgres.sh</c>) with the portal's schema (its migrations) and
/// <see cref="VmRows"/>' VMs. The first rows go through <see cref="ResourceStore.CreateAsync"/>; the rest by binary COPY
/// into <c>resources</c> and <c>resource_labels</c> (labels made here by the trigger's rules, checked against the trigger's
/// own function on a sample), with the trigger off and secondary indexes made after the load.
/// </summary>
public sealed partial class MillionDatabase : IAsyncDisposable
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
                // VACUUM as well: autovacuum would do it within a minute of the load anyway (and did, mid-run, before this); index-only scans need its visibility map.
                await ExecuteAsync(connection, "VACUUM (ANALYZE) resources, resource_labels");
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
        var firstSeq = (long)(await ScalarAsync(connection, "SELECT MAX(\"Seq\") FROM resources"))! + 1;

        // Secondary indexes and the labels' foreign key are dropped for the load and made again from their own definitions
        // (one sort each instead of a million random inserts); the trigger is off, the labels are COPYed beside their rows.
        var rebuild = new List<string>();
        foreach (var (name, definition) in await PairsAsync(connection,
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('resources', 'resource_labels') AND indexname NOT LIKE 'PK\\_%'"))
        {
            rebuild.Add(definition);
            await ExecuteAsync(connection, $"DROP INDEX \"{name}\"");
        }
        foreach (var (name, definition) in await PairsAsync(connection,
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'resource_labels'::regclass AND contype = 'f'"))
        {
            rebuild.Add($"ALTER TABLE resource_labels ADD CONSTRAINT \"{name}\" {definition}");
            await ExecuteAsync(connection, $"ALTER TABLE resource_labels DROP CONSTRAINT \"{name}\"");
        }
        await ExecuteAsync(connection, "ALTER TABLE resources DISABLE TRIGGER resource_labels_write");

        var copy = Stopwatch.StartNew();
        var labels = new List<(long Seq, string Kind, string Key, string? Value)>();
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY resources (\"Seq\", \"Id\", \"Kind\", \"Name\", \"Owner\", \"Metadata\", \"Spec\", \"Status\", \"Version\", \"CreatedAt\", \"UpdatedAt\", \"IsSystem\") FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = ThroughStore; i < rows; i++)
            {
                var item = generator.Next(i);
                var at = generator.CreatedAt(i);
                var seq = firstSeq + i - ThroughStore;
                await writer.StartRowAsync();
                await writer.WriteAsync(seq, NpgsqlDbType.Bigint);
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
                foreach (var (key, value) in LabelsOf(item.Metadata, "", 1)) labels.Add((seq, item.Kind, key, value));
                if (i % 200_000 == 0) Console.WriteLine($"[list-million]   {i:N0} rows in {copy.Elapsed.TotalSeconds:0} s");
            }
            await writer.CompleteAsync();
        }
        await ExecuteAsync(connection, $"SELECT setval(pg_get_serial_sequence('resources', 'Seq'), {firstSeq + rows - ThroughStore})");
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY resource_labels (\"ResourceSeq\", \"Kind\", \"Key\", \"Value\") FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (seq, kind, key, value) in labels)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(seq, NpgsqlDbType.Bigint);
                await writer.WriteAsync(kind, NpgsqlDbType.Varchar);
                await writer.WriteAsync(key, NpgsqlDbType.Varchar);
                if (value is null) await writer.WriteNullAsync();
                else await writer.WriteAsync(value, NpgsqlDbType.Varchar);
            }
            await writer.CompleteAsync();
        }
        Console.WriteLine($"[list-million] COPY of {rows - ThroughStore:N0} VMs and {labels.Count:N0} labels done in {copy.Elapsed.TotalSeconds:0.0} s; indexes and foreign key again");
        var indexes = Stopwatch.StartNew();
        await ExecuteAsync(connection, "ALTER TABLE resources ENABLE TRIGGER resource_labels_write");
        foreach (var statement in rebuild) await ExecuteAsync(connection, statement);
        Console.WriteLine($"[list-million] indexes and foreign key made in {indexes.Elapsed.TotalSeconds:0.0} s");

        // The COPYed labels must be exactly what the trigger writes: compared both ways with its own function on the first 20,000 COPYed VMs.
        var differing = (long)(await ScalarAsync(connection, $"""
            WITH sample AS (SELECT * FROM resources WHERE "Seq" BETWEEN {firstSeq} AND {firstSeq + 19_999}),
                 expected AS (SELECT s."Seq", l."Key", l."Value" FROM sample AS s CROSS JOIN LATERAL kraut_metadata_labels(s."Metadata") AS l),
                 copied AS (SELECT x."ResourceSeq", x."Key"::text, x."Value"::text FROM resource_labels AS x JOIN sample AS s ON s."Seq" = x."ResourceSeq")
            SELECT (SELECT COUNT(*) FROM (SELECT * FROM expected EXCEPT SELECT * FROM copied) AS a) + (SELECT COUNT(*) FROM (SELECT * FROM copied EXCEPT SELECT * FROM expected) AS b)
            """))!;
        if (differing != 0) throw new InvalidOperationException($"{differing} COPYed labels differ from what the labels trigger writes");
    }

    /// <summary>
    /// The labels the trigger's <c>kraut_metadata_labels</c> makes of a metadata object (LabelsAndIndexes migration): dotted keys
    /// of members named [A-Za-z0-9_/-], up to 16 levels, keys up to 253 characters; a string as it reads (NULL when longer
    /// than 253), a number, boolean or null as its JSON text, an object or array NULL.
    /// </summary>
    private static IEnumerable<(string Key, string? Value)> LabelsOf(JsonObject metadata, string prefix, int depth)
    {
        foreach (var (name, node) in metadata)
        {
            if (!LabelKey().IsMatch(name)) continue;
            var key = prefix + name;
            var value = node switch
            {
                JsonObject or JsonArray => null,
                JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>() is var text && text.Length <= 253 ? text : null,
                null => "null",
                _ => node.ToJsonString(),
            };
            if (key.Length <= 253) yield return (key, value);
            if (node is JsonObject inner && depth < 16)
                foreach (var label in LabelsOf(inner, key + ".", depth + 1)) yield return label;
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9_/-]+$")]
    private static partial System.Text.RegularExpressions.Regex LabelKey();

    private static async Task<List<(string, string)>> PairsAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var pairs = new List<(string, string)>();
        while (await reader.ReadAsync()) pairs.Add((reader.GetString(0), reader.GetString(1)));
        return pairs;
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
