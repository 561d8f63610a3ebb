using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Store;

/// <summary>Locks held until the current transaction ends, for read-then-write steps that concurrent writers must not interleave.</summary>
public static class TransactionLocks
{
    /// <summary>
    /// Waits until no other transaction holds <paramref name="key"/>, then holds it until this transaction commits or rolls
    /// back (PostgreSQL: <c>pg_advisory_xact_lock</c>). Nothing on SQLite: its writers already take turns. Outside a
    /// transaction it would end at once, so it must be called inside one.
    /// </summary>
    public static async Task LockForTransactionAsync(this KrautDbContext db, string key, CancellationToken ct)
    {
        if (db.Sql.TransactionLock is not { } sql) return;
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException($"A transaction lock ({key}) taken outside a transaction would be released at once.");
#pragma warning disable EF1002 // the dialect's fixed text; the key is a parameter
        await db.Database.ExecuteSqlRawAsync(sql, [key], ct);
#pragma warning restore EF1002
    }
}
