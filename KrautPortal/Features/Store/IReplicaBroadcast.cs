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

/// <summary>
/// This process among the replicas: notices carry it, so a replica skips its own, and its lock connection is named by it
/// (PostgreSQL's <c>pg_stat_activity.application_name</c> shows who owns what). <c>Kraut:ReplicaName</c> sets a readable
/// prefix (a machine name); a random part always follows, so two replicas given the same name still tell themselves apart.
/// </summary>
public sealed class ReplicaIdentity(IConfiguration config)
{
    public string Id { get; } = $"{Prefix(config["Kraut:ReplicaName"] ?? Environment.MachineName)}-{Guid.NewGuid().ToString("N")[..8]}";

    // Fits in application_name (63 bytes) after "kraut-ownership-", and never holds the notice separator.
    private static string Prefix(string name) => new string(name.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.').Take(30).ToArray());
}
