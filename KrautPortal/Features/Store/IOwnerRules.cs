namespace KrautPortal.Features.Store;

/// <summary>
/// Rules of a kind whose spec must agree with the object's owner (a router serves only its owner's network). On create
/// the owner is known only once the service has chosen it, so the service asks here, beside the kind's other checks;
/// on an update the rules read <see cref="Resource{TSpec,TStatus}.Owner"/> of the existing object themselves.
/// </summary>
public interface IOwnerRules<TSpec>
{
    Task CheckOwnerAsync(TSpec spec, string owner, Actor actor, ValidationErrors errors, CancellationToken ct);
}
