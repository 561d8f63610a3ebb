using System.Threading.Channels;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Audit;

/// <summary>
/// The one writer of the audit trail. Requests only enqueue (no database round trip); this service numbers the entries,
/// chains each to the one before (<see cref="AuditChain"/>) and stores them in batches. Being the only writer is what
/// makes the order of numbers, hashes and rows one and the same.
/// </summary>
public sealed class AuditWriter(IServiceScopeFactory scopes, ILogger<AuditWriter> logger) : BackgroundService
{
    private readonly Channel<AuditEntryRow> _entries = Channel.CreateBounded<AuditEntryRow>(
        new BoundedChannelOptions(100_000) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    private (long Seq, string Hash)? _head;

    /// <summary>Queues an entry; its <see cref="AuditEntryRow.Seq"/> and <see cref="AuditEntryRow.Hash"/> are set when it is stored.</summary>
    public void Write(AuditEntryRow entry)
    {
        // A full queue means the database has been unwritable for a long while; the request is not held up for it.
        if (!_entries.Writer.TryWrite(entry))
            logger.LogError("Audit queue full; an entry for {Method} {Path} by {Who} is lost", entry.Method, entry.Path, entry.Who);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AuditEntryRow>();
        while (await _entries.Reader.WaitToReadAsync(stoppingToken).AsTask().ContinueWith(t => !t.IsCanceled && !t.IsFaulted && t.Result, TaskScheduler.Default))
        {
            while (batch.Count < 500 && _entries.Reader.TryRead(out var entry)) batch.Add(entry);
            await FlushAsync(batch);
        }
        // Shutting down: keep what is still queued.
        while (_entries.Reader.TryRead(out var entry)) batch.Add(entry);
        await FlushAsync(batch);
    }

    private async Task FlushAsync(List<AuditEntryRow> batch)
    {
        if (batch.Count == 0) return;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
                // Several portal replicas (PostgreSQL) each have a writer: one at a time extends the chain, from its end as
                // the database has it under the lock. The only writer (SQLite) may trust the end it wrote last.
                await using var turn = db.Sql.TransactionLock is null ? null : await db.Database.BeginTransactionAsync();
                if (turn is not null) await db.LockForTransactionAsync("audit-chain", CancellationToken.None);
                var (seq, hash) = turn is null ? _head ??= await HeadAsync(db) : await HeadAsync(db);
                foreach (var entry in batch)
                {
                    entry.Seq = ++seq;
                    entry.Hash = AuditChain.Hash(hash, entry);
                    hash = entry.Hash;
                }
                db.AuditEntries.AddRange(batch);
                await db.SaveChangesAsync(CancellationToken.None);
                if (turn is not null) await turn.CommitAsync();
                _head = (seq, hash);
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The head is read again: the database, not memory, says where the chain ends.
                _head = null;
                if (attempt < 3)
                {
                    logger.LogWarning(e, "Could not store {Count} audit entries; retrying", batch.Count);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
                    continue;
                }
                logger.LogError(e, "Could not store {Count} audit entries; they are lost", batch.Count);
                break;
            }
        }
        batch.Clear();
    }

    private static async Task<(long, string)> HeadAsync(KrautDbContext db)
    {
        var last = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Seq).Select(e => new { e.Seq, e.Hash }).FirstOrDefaultAsync();
        return last is null ? (0, AuditChain.Genesis) : (last.Seq, last.Hash);
    }
}
