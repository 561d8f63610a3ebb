namespace KrautPortal.Features.Store;

/// <summary>
/// Tells the other portal replicas on the same database what this one changed, so their pages and reconcilers react as
/// to a local change. SQLite means one portal: <see cref="NoReplicas"/>.
/// </summary>
public interface IReplicaBroadcast
{
    /// <summary>Sends on <paramref name="db"/>'s connection, inside its current transaction if there is one.</summary>
    Task SendAsync(KrautDbContext db, IReadOnlyList<ResourceChange> changes, CancellationToken ct);
}

/// <summary>The only portal on its database: nobody to tell.</summary>
public sealed class NoReplicas : IReplicaBroadcast
{
    public Task SendAsync(KrautDbContext db, IReadOnlyList<ResourceChange> changes, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>This process among the replicas: notices carry it, so a replica skips its own.</summary>
public sealed class ReplicaIdentity
{
    public string Id { get; } = Guid.NewGuid().ToString("N")[..12];
}
