using System.Text.Json.Nodes;

namespace KrautPortal.Features.Store;

/// <summary>
/// Rules of a kind whose create makes a decision that must hold against every other create at the same moment (a VM's
/// host: two creates must not both take a host's last memory). Called inside the create's transaction, last before the
/// row is stored, after <see cref="ResourceStore.LockAsync"/> on the rules' <see cref="LockName"/>; returns the spec to store.
/// </summary>
public interface ICreatingRules<TSpec>
{
    /// <summary>The lock every create of this kind takes first (PostgreSQL runs transactions at once; SQLite has one writer anyway).</summary>
    string LockName { get; }

    Task<TSpec> CreatingAsync(Guid id, TSpec spec, JsonObject metadata, Actor actor, CancellationToken ct);
}
