namespace KrautPortal.Features.Store;

/// <summary>
/// Rules of a kind that keeps rows beside its objects (e.g. a VM's IP and MAC allocations). The service then writes
/// the object and those rows in one transaction: both change, or neither does.
/// </summary>
public interface ITransactionalRules<TSpec>
{
    /// <summary>
    /// Called inside the write's transaction, after <see cref="IResourceRules{TSpec,TStatus}.PrepareAsync"/> passed;
    /// returns the spec to store. <paramref name="previous"/> is null on create.
    /// </summary>
    Task<TSpec> WritingAsync(Guid id, TSpec spec, TSpec? previous, Actor actor, ValidationErrors errors, CancellationToken ct);
}
