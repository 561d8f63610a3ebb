using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;

namespace KrautPortal.Features.Reconciling;

/// <summary>
/// A work queue of object ids for a reconciler: duplicates collapse, one id is never worked on twice at once,
/// failures retry with back-off, and a reconcile may ask to be called again later (e.g. a stop timeout).
/// </summary>
public abstract class ReconcileLoop(ILogger logger, int workers) : BackgroundService
{
    private readonly Channel<Guid> _queue = Channel.CreateUnbounded<Guid>();
    private readonly ConcurrentDictionary<Guid, bool> _queued = new();
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _locks = new();
    private readonly ConcurrentDictionary<Guid, int> _failures = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private KeyValuePair<string, object?> MeterTag => ReconcileMeter.Tag(this);

    /// <summary>Ids waiting for a worker (each id at most once).</summary>
    public int QueueLength => _queue.Reader.Count;

    /// <summary>Told of every pass that failed and every one that succeeded (set once at registration; none in unit tests).</summary>
    public IReconcileErrors? Errors { get; set; }

    /// <summary>Which replica reconciles what (set once at registration; in unit tests null: everything is this one's).</summary>
    public IReconcileOwnership? Ownership { get; set; }

    /// <summary>The kind whose changes by other replicas queue its objects here (null: none).</summary>
    public virtual string? WatchedKind => null;

    /// <summary>
    /// The key of the replica that reconciles this object (<see cref="OwnerKeys"/>); null: whichever replica is asked.
    /// </summary>
    protected virtual Task<string?> OwnerKeyAsync(Guid id, CancellationToken ct) => Task.FromResult<string?>(null);

    /// <summary>Looks at every object again, off the caller's thread: this replica took over keys or may have missed changes.</summary>
    public void LookAgain() => _ = Task.Run(async () =>
    {
        try
        {
            await PollAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "{Reconciler} could not look at everything again", GetType().Name);
        }
    });

    /// <summary>Completes once start-up work (orphan collection, first pass) is done.</summary>
    public Task Started => _started.Task;

    /// <summary>
    /// Asks for <paramref name="id"/> to be reconciled. <paramref name="ensure"/> means act on the desired state even
    /// if it did not change (a user pressed a button); otherwise only observe, and act if the version moved.
    /// </summary>
    public void Enqueue(Guid id, bool ensure = true)
    {
        // AddOrUpdate may call the update factory, lose to a worker's TryRemove and then add after all, so each
        // factory sets the flag: the one called last is the one that took effect. Otherwise the id could sit in
        // _queued without a channel entry, and every later Enqueue for it would be swallowed for good.
        var isNew = false;
        _queued.AddOrUpdate(id,
            _ =>
            {
                isNew = true;
                return ensure;
            },
            (_, old) =>
            {
                isNew = false;
                return old || ensure;
            });
        if (isNew) _queue.Writer.TryWrite(id);
    }

    public void EnqueueAfter(Guid id, TimeSpan delay, bool ensure = true, CancellationToken ct = default) =>
        _ = Task.Delay(delay, ct).ContinueWith(_ => Enqueue(id, ensure), ct, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    /// <summary>Reconciles one object; returns when to look again, or null for "only when something changes".</summary>
    protected abstract Task<TimeSpan?> ReconcileAsync(Guid id, bool ensure, CancellationToken ct);

    /// <summary>Start-up work before the queue runs: collect orphans, enqueue everything once.</summary>
    protected abstract Task StartupAsync(CancellationToken ct);

    /// <summary>Periodic observation (missed events, drift); default: none.</summary>
    protected virtual TimeSpan? PollInterval => null;

    protected virtual Task PollAsync(CancellationToken ct) => Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var measured = ReconcileMeter.Track(this);
        try
        {
            await StartupAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "{Reconciler} start-up failed; continuing with the queue", GetType().Name);
        }
        _started.TrySetResult();

        var tasks = Enumerable.Range(0, workers).Select(_ => WorkAsync(stoppingToken)).ToList();
        if (PollInterval is { } interval) tasks.Add(PollLoopAsync(interval, stoppingToken));
        await Task.WhenAll(tasks);
    }

    private async Task PollLoopAsync(TimeSpan interval, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            try
            {
                await PollAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "{Reconciler} poll failed", GetType().Name);
            }
        }
    }

    /// <summary>Whether this replica reconciles the object; a request to act on one it does not goes to its owner.</summary>
    private async Task<bool> OwnedHereAsync(Guid id, bool ensure, CancellationToken ct)
    {
        if (Ownership is not { } ownership || await OwnerKeyAsync(id, ct) is not { } key || await ownership.OwnsAsync(key, ct)) return true;
        if (ensure) await ownership.ForwardAsync(GetType().Name, id, ct);
        return false;
    }

    private async Task WorkAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var id in _queue.Reader.ReadAllAsync(ct))
            {
                var gate = _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
                await gate.WaitAsync(ct);
                // Taken off the queue only now: a request that arrives while we work queues a fresh pass.
                _queued.TryRemove(id, out var ensure);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    if (!await OwnedHereAsync(id, ensure, ct)) continue;
                    var again = await ReconcileAsync(id, ensure, ct);
                    if (_failures.TryRemove(id, out _)) Errors?.Succeeded(GetType().Name, id);
                    if (again is { } delay) EnqueueAfter(id, delay, ensure: true, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    ReconcileMeter.Errors.Add(1, MeterTag);
                    var failures = _failures.AddOrUpdate(id, 1, (_, n) => n + 1);
                    var delay = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, failures)));
                    logger.LogWarning(e, "{Reconciler} failed on {Id} (attempt {Attempt}); retrying in {Delay}", GetType().Name, id, failures, delay);
                    Errors?.Failed(GetType().Name, id, e.Message, failures);
                    EnqueueAfter(id, delay, ensure, ct);
                }
                finally
                {
                    ReconcileMeter.Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, MeterTag);
                    gate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // shutting down
        }
    }
}
