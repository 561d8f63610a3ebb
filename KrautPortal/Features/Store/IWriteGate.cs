namespace KrautPortal.Features.Store;

/// <summary>
/// A check a higher feature puts in front of the store's writes (quotas): called by <see cref="ResourceService{TSpec,TStatus}"/>
/// inside the write's transaction, after the kind's own checks and before anything is stored, for creates and for updates
/// of the kinds it <see cref="Guards"/>. What it reads there cannot change before the write commits (SQLite: one writer at a
/// time, see <see cref="DatabaseProvider.TransactionQueue"/>), so count-then-insert cannot be overrun by parallel writers.
/// It refuses by throwing a <see cref="KrautProblemException"/> of its own; the transaction then rolls back whole.
/// </summary>
/// <remarks>
/// PostgreSQL: transactions of several processes (replicas) run concurrently, so a gate's read alone would not be safe; a
/// gate first takes <see cref="ResourceStore.LockOwnerAsync"/> (<c>pg_advisory_xact_lock(hashtext('owner:' || owner))</c>,
/// a no-op on SQLite), as the quota gate does.
/// </remarks>
public interface IWriteGate
{
    /// <summary>Whether writes of this kind pass the gate (and so always run in a transaction).</summary>
    bool Guards(string kind);

    Task CheckAsync(GatedWrite write, CancellationToken ct);
}

/// <summary>One write about to be stored: the spec as the kind's rules prepared it, and the spec before (null on create).</summary>
public sealed record GatedWrite(KindInfo Kind, Guid Id, string Owner, object Spec, object? Previous, bool IsSystem, Actor Actor);
