namespace KrautPortal.Features.Store;

/// <summary>What makes one kind different from the others; everything else is shared in <see cref="ResourceService{TSpec,TStatus}"/>.</summary>
public interface IResourceRules<TSpec, TStatus>
{
    KindInfo Kind { get; }

    /// <summary>
    /// Fills defaults and checks the spec (references, ranges). <paramref name="existing"/> is null on create.
    /// Report problems into <paramref name="errors"/> with field paths like <c>spec.vcpus</c>.
    /// </summary>
    Task<TSpec> PrepareAsync(TSpec spec, Resource<TSpec, TStatus>? existing, Actor actor, ValidationErrors errors, CancellationToken ct);

    TStatus InitialStatus(TSpec spec);

    /// <summary>Throws <see cref="ConflictException"/> when the object is still in use (naming only users <paramref name="actor"/> may see).</summary>
    Task EnsureDeletableAsync(Resource<TSpec, TStatus> existing, Actor actor, CancellationToken ct);

    /// <summary>True when a real object (domain, network) must be torn down first; a reconciler then finishes the deletion.</summary>
    bool DeletesAsynchronously { get; }

    /// <summary>Called after every stored change, e.g. to wake the reconciler.</summary>
    void Changed(Guid id);
}
