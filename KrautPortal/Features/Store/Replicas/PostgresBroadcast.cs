using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Store.Replicas;

/// <summary>
/// Tells the other replicas by <c>NOTIFY kraut_changes, '&lt;replica&gt;|&lt;kind&gt;|&lt;id&gt;'</c> on the writer's own
/// connection: inside a transaction PostgreSQL delivers it at the commit and drops it on a rollback.
/// </summary>
public sealed class PostgresBroadcast(ReplicaIdentity replica) : IReplicaBroadcast
{
    public async Task SendAsync(KrautDbContext db, IReadOnlyList<ResourceChange> changes, CancellationToken ct)
    {
        if (changes.Count == 0) return;
        var payloads = changes.Select(c => ReplicaNotice.Format(replica.Id, c.Kind, c.Id.ToString("D"))).ToArray();
        // One round trip for all; PostgreSQL folds identical notices of one transaction into one.
        await db.Database.ExecuteSqlRawAsync($"SELECT pg_notify('{ReplicaNotice.ChangesChannel}', p) FROM unnest({{0}}) AS p", [payloads], ct);
    }
}

/// <summary>The notices replicas send each other: <c>replica|subject|id</c> on one of two channels.</summary>
public static class ReplicaNotice
{
    /// <summary>An object changed (kind, id): pages refresh, reconcilers look.</summary>
    public const string ChangesChannel = "kraut_changes";

    /// <summary>A request to act forwarded to the replica that owns the object (reconciler, id).</summary>
    public const string ReconcileChannel = "kraut_reconcile";

    public static string Format(string replica, string subject, string id) => $"{replica}|{subject}|{id}";

    public static bool TryParse(string payload, out string replica, out string subject, out Guid id)
    {
        var parts = payload.Split('|');
        (replica, subject, id) = (parts[0], parts.Length == 3 ? parts[1] : "", Guid.Empty);
        return parts.Length == 3 && Guid.TryParse(parts[2], out id);
    }
}
