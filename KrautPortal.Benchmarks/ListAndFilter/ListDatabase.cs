using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Benchmarks.ListAndFilter;

/// <summary>
/// A fresh SQLite database with the portal's real schema (its EF migrations, WAL) and the store registered as
/// the portal registers it. The first rows go through <see cref="ResourceStore.CreateAsync"/>; the rest through a
/// bulk insert that is checked, column by column, to write exactly what the store writes, resource_labels included
/// (the database's triggers write those for every insert, the store's and the bulk one alike).
/// </summary>
public sealed class ListDatabase : IAsyncDisposable
{
    private ListDatabase(string directory, ServiceProvider services, ServiceProvider capturing, SqlCapture capture)
    {
        Directory = directory;
        Services = services;
        Capturing = capturing;
        Capture = capture;
    }

    public string Directory { get; }
    public string Path => System.IO.Path.Combine(Directory, "kraut.db");
    public string ConnectionString => new SqliteConnectionStringBuilder { DataSource = Path, Pooling = true }.ToString();

    /// <summary>The store exactly as the portal wires it: used for every timed call.</summary>
    public ServiceProvider Services { get; }

    /// <summary>The same database with an interceptor that keeps the last SQL EF sent; never timed.</summary>
    public ServiceProvider Capturing { get; }
    public SqlCapture Capture { get; }

    public double StoreInsertMedianMs { get; private set; }
    public int StoreInserted { get; private set; }
    public double BulkSeconds { get; private set; }

    public static async Task<ListDatabase> CreateAsync(int rows, int throughStore)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("kraut-bench-list-").FullName;
        var clock = new SettableTime();
        var capture = new SqlCapture();
        var db = new ListDatabase(directory, Build(directory, clock, null), Build(directory, clock, capture), capture);
        await db.Services.MigrateKrautStoreAsync();

        var generator = new VmRows(rows);
        var inserts = new List<double>();
        var items = new List<NewResource>();
        for (var i = 0; i < throughStore; i++)
        {
            var item = generator.Next(i);
            items.Add(item);
            clock.Now = generator.CreatedAt(i);
            var t0 = Stopwatch.GetTimestamp();
            await using (var scope = db.Services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<ResourceStore>().CreateAsync(item, Actor.System, CancellationToken.None);
            }
            inserts.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        db.StoreInserted = throughStore;
        db.StoreInsertMedianMs = Support.Stats.Of(inserts).P50;

        var bulk = Stopwatch.StartNew();
        await using (var connection = new SqliteConnection(db.ConnectionString))
        {
            await connection.OpenAsync();
            await VerifyBulkMatchesStoreAsync(connection, items[0], generator.CreatedAt(0));
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
            var writer = new BulkWriter(connection, transaction);
            for (var i = throughStore; i < rows; i++) writer.Insert(generator.Next(i), Guid.CreateVersion7(), generator.CreatedAt(i));
            await transaction.CommitAsync();
        }
        db.BulkSeconds = bulk.Elapsed.TotalSeconds;
        return db;
    }

    /// <summary>
    /// Re-renders the first store-written row with the bulk writer and compares SQLite's own quote() of every
    /// column, so a difference in type or text (a Guid as BLOB, a date format) stops the benchmark.
    /// </summary>
    private static async Task VerifyBulkMatchesStoreAsync(SqliteConnection connection, NewResource item, DateTime createdAt)
    {
        await using var read = connection.CreateCommand();
        read.CommandText = "SELECT Id FROM resources ORDER BY Seq LIMIT 1";
        var id = Guid.Parse((string)(await read.ExecuteScalarAsync())!);

        foreach (var (table, key, values) in new[]
        {
            ("resources", "Seq = (SELECT MIN(Seq) FROM resources)", BulkWriter.ResourceValues(item, id, createdAt)),
            ("history", "Seq = (SELECT MIN(Seq) FROM history)", BulkWriter.HistoryValues(item, id, createdAt)),
        })
        {
            await using var stored = connection.CreateCommand();
            stored.CommandText = $"SELECT {string.Join(", ", values.Keys.Select(c => $"quote({c})"))} FROM {table} WHERE {key}";
            await using var rendered = connection.CreateCommand();
            rendered.CommandText = "SELECT " + string.Join(", ", values.Keys.Select(c => $"quote(${c})"));
            foreach (var (column, value) in values) rendered.Parameters.AddWithValue("$" + column, value);
            var a = await RowAsync(stored);
            var b = await RowAsync(rendered);
            for (var i = 0; i < a.Length; i++)
            {
                if (a[i] != b[i])
                    throw new InvalidOperationException($"bulk insert would differ from the store in {table}.{values.Keys.ElementAt(i)}: store {a[i]}, bulk {b[i]}");
            }
        }

        // resource_labels: the same item inserted in bulk (under another name, then rolled back) gets the store's labels.
        await using var trial = (SqliteTransaction)await connection.BeginTransactionAsync();
        var twin = Guid.CreateVersion7();
        new BulkWriter(connection, trial).Insert(item with { Name = item.Name + "-label-check" }, twin, createdAt);
        var storeLabels = await LabelsAsync(connection, trial, "(SELECT MIN(Seq) FROM resources)");
        var bulkLabels = await LabelsAsync(connection, trial, $"(SELECT Seq FROM resources WHERE Id = '{BulkWriter.GuidText(twin)}')");
        await trial.RollbackAsync();
        if (storeLabels.Length == 0 || storeLabels != bulkLabels)
            throw new InvalidOperationException($"bulk insert would differ from the store in resource_labels: store [{storeLabels}], bulk [{bulkLabels}]");
    }

    private static async Task<string> LabelsAsync(SqliteConnection connection, SqliteTransaction transaction, string seq)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT group_concat(Kind || ' ' || Key || '=' || quote(Value), '; ' ORDER BY Key) FROM resource_labels WHERE ResourceSeq = {seq}";
        return Convert.ToString(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture) ?? "";
    }

    private static async Task<string[]> RowAsync(DbCommand command)
    {
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) throw new InvalidOperationException("no row to compare");
        return [.. Enumerable.Range(0, reader.FieldCount).Select(reader.GetString)];
    }

    private static ServiceProvider Build(string directory, TimeProvider time, SqlCapture? capture)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Provider"] = "sqlite" }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(time);
        services.AddKrautStore(config, directory);
        if (capture is not null) services.ConfigureDbContext<SqliteKrautDbContext>(o => o.AddInterceptors(capture));
        return services.BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Capturing.DisposeAsync();
        SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>Lets the store-written rows carry the same timeline as the bulk ones.</summary>
    private sealed class SettableTime : TimeProvider
    {
        public DateTime Now { get; set; } = DateTime.UtcNow;
        public override DateTimeOffset GetUtcNow() => new(Now, TimeSpan.Zero);
    }

    /// <summary>Prepared INSERTs into resources and history, with the values EF writes for a new object.</summary>
    private sealed class BulkWriter
    {
        private readonly SqliteCommand _resource;
        private readonly SqliteCommand _history;

        public BulkWriter(SqliteConnection connection, SqliteTransaction transaction)
        {
            _resource = Prepare(connection, transaction, "resources", ResourceValues(Sample, Guid.Empty, DateTime.UnixEpoch).Keys);
            _history = Prepare(connection, transaction, "history", HistoryValues(Sample, Guid.Empty, DateTime.UnixEpoch).Keys);
        }

        private static readonly NewResource Sample = new("vms", "x", "x", new System.Text.Json.Nodes.JsonObject(), "{}", "{}");

        public void Insert(NewResource item, Guid id, DateTime createdAt)
        {
            Execute(_resource, ResourceValues(item, id, createdAt));
            Execute(_history, HistoryValues(item, id, createdAt));
        }

        /// <summary>Columns as ResourceStore.CreateAsync fills them, in SQLite's representation (EF's value conversion).</summary>
        public static Dictionary<string, object> ResourceValues(NewResource item, Guid id, DateTime createdAt) => new()
        {
            ["Id"] = GuidText(id),
            ["Kind"] = item.Kind,
            ["Name"] = item.Name,
            ["Owner"] = item.Owner,
            ["Metadata"] = item.Metadata.ToJsonString(),
            ["Spec"] = item.SpecJson,
            ["Status"] = item.StatusJson,
            ["Version"] = 1L,
            ["CreatedAt"] = DateText(createdAt),
            ["UpdatedAt"] = DateText(createdAt),
            ["DeletionRequestedAt"] = DBNull.Value,
            ["IsSystem"] = item.IsSystem ? 1L : 0L,
        };

        public static Dictionary<string, object> HistoryValues(NewResource item, Guid id, DateTime createdAt) => new()
        {
            ["ResourceId"] = GuidText(id),
            ["Kind"] = item.Kind,
            ["Version"] = 1L,
            ["Snapshot"] = KrautJson.Serialize(Snapshot.FromRow(new ResourceRow
            {
                Kind = item.Kind, Name = item.Name, Owner = item.Owner,
                Metadata = item.Metadata.ToJsonString(), Spec = item.SpecJson, Status = item.StatusJson,
            })),
            ["ChangedBy"] = Actor.System.Name,
            ["ChangedAt"] = DateText(createdAt),
            ["Change"] = "created",
        };

        // EF Core's SQLite mappings: Guid as upper-case TEXT, DateTime as 'yyyy-MM-dd HH:mm:ss.FFFFFFF' TEXT.
        public static string GuidText(Guid id) => id.ToString().ToUpperInvariant();
        private static string DateText(DateTime at) => at.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

        private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction transaction, string table, IEnumerable<string> columns)
        {
            var command = connection.CreateCommand();
            command.Transaction = transaction;
            var list = columns.ToList();
            command.CommandText = $"INSERT INTO {table} ({string.Join(", ", list)}) VALUES ({string.Join(", ", list.Select(c => "$" + c))})";
            foreach (var column in list) command.Parameters.Add(new SqliteParameter("$" + column, null));
            command.Prepare();
            return command;
        }

        private static void Execute(SqliteCommand command, Dictionary<string, object> values)
        {
            foreach (var (column, value) in values) command.Parameters["$" + column].Value = value;
            command.ExecuteNonQuery();
        }
    }
}

/// <summary>Keeps the text and parameter values of the last query EF ran, for EXPLAIN QUERY PLAN.</summary>
public sealed class SqlCapture : DbCommandInterceptor
{
    public string? Sql { get; private set; }
    public List<(string Name, object? Value)> Parameters { get; private set; } = [];

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Sql = command.CommandText;
        Parameters = [.. command.Parameters.Cast<DbParameter>().Select(p => (p.ParameterName, p.Value))];
        return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }
}
