using KrautPortal.Features.Reconciling;
using KrautPortal.Tests.Hypervisor;
using KrautPortal.Tests.Support;
using Npgsql;

namespace KrautPortal.Tests.Replicas;

/// <summary>
/// Several real portal processes on one fresh PostgreSQL database, as an operator runs them: one data directory they
/// share (image content, keys, the admin's password file) and hosts they all reach. The hosts are libvirt's test
/// driver inside private libvirtds (<c>test+unix://</c>), so every replica and the test's own checks see the same
/// domains, which a per-process <c>test:///default</c> would not.
/// </summary>
internal sealed class ReplicaCluster : IAsyncDisposable
{
    private readonly List<PrivateLibvirtDaemon> _daemons = [];
    private readonly List<PortalProcess> _replicas = [];
    private PostgresServer? _database;
    private string _dataDirectory = "";

    public IReadOnlyList<PortalProcess> Replicas => _replicas;

    public IReadOnlyList<string> Hosts => _daemons.Select(d => d.TestDriverUri).ToList();

    /// <summary>
    /// The database, with room for bursts: creates of one owner take turns on PostgreSQL (the quota's per-owner lock), so
    /// a burst of 200 queues longer than Npgsql's default 30 s command timeout on this small machine.
    /// </summary>
    public string ConnectionString => _database!.ConnectionString + ";Command Timeout=180";

    /// <summary>The REST API of one replica, as its god token (each replica knows only its own; all act as the same person).</summary>
    public KrautApi Api(int replica) => new(_replicas[replica].CreateClient());

    public static async Task<ReplicaCluster> StartAsync(int replicas, int hosts)
    {
        var cluster = new ReplicaCluster();
        try
        {
            cluster._database = PostgresServer.CreateDatabase();
            for (var i = 0; i < hosts; i++) cluster._daemons.Add(await PrivateLibvirtDaemon.StartAsync());
            cluster._dataDirectory = Directory.CreateTempSubdirectory("kraut-replicas-").FullName;
            SeedImages.Put(cluster._dataDirectory, SeedImages.Blank);
            for (var i = 0; i < replicas; i++) cluster._replicas.Add(cluster.NewReplica(i));
            // One after the other: the first migrates the database and makes the first-run objects, as an operator's first start would.
            foreach (var replica in cluster._replicas) await replica.StartAsync(TimeSpan.FromSeconds(90));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private PortalProcess NewReplica(int index)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "postgres",
            ["ConnectionStrings:Kraut"] = ConnectionString,
            ["Kraut:ReplicaName"] = ReplicaName(index),
        };
        for (var i = 1; i < _daemons.Count; i++) settings[$"Kraut:Hosts:{i}"] = _daemons[i].TestDriverUri;
        return new PortalProcess(_daemons[0].TestDriverUri, SeedImages.Blank, settings, _dataDirectory);
    }

    public static string ReplicaName(int index) => $"replica-{(char)('a' + index)}";

    /// <summary>Which replica (by index) holds each owner key now, read from PostgreSQL's lock table; a key held by none is absent.</summary>
    public async Task<IReadOnlyDictionary<string, List<int>>> OwnersAsync(IEnumerable<string> keys)
    {
        var wanted = keys.ToDictionary(PostgresOwnership.LockId);
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        // A bigint advisory lock shows as classid (high half) and objid (low half), objsubid 1.
        await using var command = new NpgsqlCommand("""
            SELECT (l.classid::bigint << 32) | l.objid::bigint, a.application_name
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, connection);
        var owners = new Dictionary<string, List<int>>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            if (!wanted.TryGetValue(reader.GetInt64(0), out var key)) continue;
            var application = reader.GetString(1);
            var index = Enumerable.Range(0, _replicas.Count).FirstOrDefault(i => application.StartsWith($"kraut-ownership-{ReplicaName(i)}-", StringComparison.Ordinal), -1);
            if (!owners.TryGetValue(key, out var list)) owners[key] = list = [];
            list.Add(index);
        }
        return owners;
    }

    /// <summary>Every domain Kraut made on a host, by name (kraut-&lt;vm id&gt;), with its state as virsh reports it (the test driver's own "test" domain left out).</summary>
    public static async Task<Dictionary<string, string>> DomainsAsync(string host)
    {
        var output = await Tool.RunAsync("virsh", "-c", host, "list", "--all");
        var domains = new Dictionary<string, string>();
        // " Id   Name          State", a rule, then rows: id (or -), name, state (may be two words: "shut off").
        foreach (var line in output.Split('\n').Skip(2))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 3 && parts[1].StartsWith("kraut-", StringComparison.Ordinal)) domains[parts[1]] = string.Join(' ', parts[2..]);
        }
        return domains;
    }

    /// <summary>What the replicas logged as errors (with the lines that follow each), for a failed test's output.</summary>
    public string Errors()
    {
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < _replicas.Count; i++)
        {
            var lines = _replicas[i].Log.Split('\n');
            for (var l = 0; l < lines.Length; l++)
                if (lines[l].StartsWith("fail:", StringComparison.Ordinal) || lines[l].StartsWith("crit:", StringComparison.Ordinal))
                    text.AppendLine($"[{ReplicaName(i)}] " + string.Join("\n", lines.Skip(l).Take(12)));
        }
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas) replica.StopAndRemoveLeftovers();
        foreach (var daemon in _daemons) daemon.Dispose();
        if (_dataDirectory.Length > 0 && Directory.Exists(_dataDirectory)) Directory.Delete(_dataDirectory, recursive: true);
        if (_database is not null) _database.Dispose();
    }
}
