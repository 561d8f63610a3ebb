using Npgsql;

namespace KrautPortal.Features.Store.Replicas;

/// <summary>
/// Hears the other replicas: LISTENs on a connection of its own and republishes their changes on the local
/// <see cref="ChangeFeed"/> (never this replica's own, which were published here already). The connection is kept with
/// back-off; after it was lost, everyone is told to look at everything (<see cref="ResourceChange.Everything"/>), since
/// notices sent meanwhile are gone.
/// </summary>
public sealed class PostgresListener(string connectionString, ChangeFeed feed, ReplicaIdentity replica, ILogger<PostgresListener> logger)
    : BackgroundService
{
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromSeconds(10);
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A request forwarded to this replica on <see cref="ReplicaNotice.ReconcileChannel"/> (reconciler, id).</summary>
    public event Action<string, Guid>? Forwarded;

    /// <summary>Completes once the first LISTEN is in place.</summary>
    public Task Listening => _listening.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backOff = TimeSpan.FromMilliseconds(250);
        var lostBefore = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ReplicaConnections.Dedicated(connectionString, "kraut-listener"));
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => Heard(e.Channel, e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {ReplicaNotice.ChangesChannel}; LISTEN {ReplicaNotice.ReconcileChannel}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                _listening.TrySetResult();
                backOff = TimeSpan.FromMilliseconds(250);
                if (lostBefore)
                {
                    logger.LogInformation("Hearing the other replicas again; looking at everything, since changes may have been missed");
                    feed.Publish(ResourceChange.Everything);
                }
                while (true) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                lostBefore = true;
                logger.LogWarning("Lost the connection that hears the other replicas ({Error}); trying again in {Delay}", e.Message, backOff);
                try
                {
                    await Task.Delay(backOff, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backOff = TimeSpan.FromTicks(Math.Min(MaxBackOff.Ticks, backOff.Ticks * 2));
            }
        }
    }

    private void Heard(string channel, string payload)
    {
        if (!ReplicaNotice.TryParse(payload, out var sender, out var subject, out var id) || sender == replica.Id) return;
        if (channel == ReplicaNotice.ChangesChannel) feed.Publish(new ResourceChange(subject, id) { FromOtherReplica = true });
        else if (channel == ReplicaNotice.ReconcileChannel) Forwarded?.Invoke(subject, id);
    }
}

/// <summary>Connections of their own (listening, holding locks): outside the pool, and checked so a vanished peer is noticed.</summary>
public static class ReplicaConnections
{
    public static string Dedicated(string connectionString, string name)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Pooling = false;
        builder.ApplicationName = name;
        // This side: Npgsql's keepalive query while idle, the kernel's keepalive, and short timeouts, so a server that
        // vanished without a FIN is noticed in seconds (and this replica stops acting as owner), not hours.
        builder.KeepAlive = 5;
        builder.TcpKeepAlive = true;
        builder.TcpKeepAliveTime = 5;
        builder.TcpKeepAliveInterval = 2;
        builder.Timeout = 5;
        builder.CommandTimeout = 5;
        // The server's side: a replica whose machine vanished loses its session, and so its locks, after about 11 s
        // (probes after 5 s idle, every 2 s, 3 missed), or 10 s of unacknowledged data; later than this side notices.
        builder.Options = $"{builder.Options} -c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3 -c tcp_user_timeout=10000".Trim();
        return builder.ConnectionString;
    }
}
