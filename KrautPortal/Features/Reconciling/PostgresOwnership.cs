using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using KrautPortal.Features.Store;
using KrautPortal.Features.Store.Replicas;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace KrautPortal.Features.Reconciling;

/// <summary>
/// Ownership by PostgreSQL session advisory locks (<c>pg_try_advisory_lock</c>), one per owner key, held on a connection
/// of this replica's own. When a replica dies its connection closes and PostgreSQL releases its locks at once (a machine
/// that vanishes: when TCP keepalive gives up on it); every replica tries the keys it has seen every
/// <see cref="Round"/>, so another takes them within seconds. A replica that loses its own connection owns nothing
/// until it has a new one and the locks again.
/// </summary>
public sealed class PostgresOwnership(
    string connectionString,
    PostgresListener listener,
    ReplicaIdentity replica,
    IServiceScopeFactory scopes,
    ILogger<PostgresOwnership> logger) : BackgroundService, IReconcileOwnership
{
    public static readonly TimeSpan Round = TimeSpan.FromSeconds(2);

    /// <summary>Every key asked for, with its first try (which later askers await rather than skip).</summary>
    private readonly ConcurrentDictionary<string, Task<int>> _wanted = new();
    private readonly ConcurrentDictionary<string, byte> _held = new();
    // One command at a time on the one connection.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NpgsqlConnection? _connection;

    public event Action? Gained;

    public event Action<string, Guid>? Forwarded
    {
        add => listener.Forwarded += value;
        remove => listener.Forwarded -= value;
    }

    /// <summary>The keys this replica holds now (for the tests and the log).</summary>
    public IReadOnlyCollection<string> Held => [.. _held.Keys];

    public async ValueTask<bool> OwnsAsync(string key, CancellationToken ct)
    {
        if (_held.ContainsKey(key)) return true;
        // Asked for the first time: try at once, so a new object does not wait for the next round.
        await _wanted.GetOrAdd(key, k => TryTakeAsync([k], CancellationToken.None)).WaitAsync(ct);
        return _held.ContainsKey(key);
    }

    public async Task ForwardAsync(string loop, Guid id, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        await db.Database.ExecuteSqlRawAsync($"SELECT pg_notify('{ReplicaNotice.ReconcileChannel}', {{0}})",
            [ReplicaNotice.Format(replica.Id, loop, id.ToString("D"))], ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Round);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                var missing = _wanted.Keys.Where(k => !_held.ContainsKey(k)).ToList();
                // Also when nothing is missing: the query proves the connection (and so the locks) still there.
                if (await TryTakeAsync(missing, stoppingToken) > 0) Gained?.Invoke();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Ownership round failed");
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Closing the session releases every lock: the others take over in the next round, not after a timeout.
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _held.Clear();
            if (_connection is not null) await _connection.DisposeAsync();
            _connection = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Tries the keys on the lock connection (opening it if needed); returns how many it took.</summary>
    private async Task<int> TryTakeAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var connection = await ConnectionAsync(ct);
            await using var command = new NpgsqlCommand("SELECT k, pg_try_advisory_lock(k) FROM unnest(@keys) AS k", connection);
            command.Parameters.AddWithValue("keys", keys.Select(LockId).ToArray());
            var byId = keys.ToDictionary(LockId);
            var taken = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                    if (reader.GetBoolean(1)) taken.Add(byId[reader.GetInt64(0)]);
            }
            foreach (var key in taken) _held[key] = 0;
            if (taken.Count > 0) logger.LogInformation("Replica {Replica} now reconciles {Keys}", replica.Id, string.Join(", ", taken));
            return taken.Count;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            // The session is gone, and with it every lock it held: own nothing until the locks are taken again.
            if (!_held.IsEmpty) logger.LogWarning("Lost the ownership connection ({Error}); reconciling nothing until it is back", e.Message);
            _held.Clear();
            if (_connection is not null) await _connection.DisposeAsync();
            _connection = null;
            return 0;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<NpgsqlConnection> ConnectionAsync(CancellationToken ct)
    {
        if (_connection is { State: System.Data.ConnectionState.Open }) return _connection;
        if (_connection is not null) await _connection.DisposeAsync();
        _held.Clear();
        _connection = new NpgsqlConnection(ReplicaConnections.Dedicated(connectionString, "kraut-ownership-" + replica.Id));
        await _connection.OpenAsync(ct);
        return _connection;
    }

    /// <summary>A key's 64-bit advisory lock number: the first 8 bytes of its SHA-256 (advisory locks are per database).</summary>
    public static long LockId(string key) => BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("kraut:" + key)));
}
