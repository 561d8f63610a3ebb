namespace KrautPortal.Features.Store;

/// <summary>
/// May the current caller do this verb to this kind? The store asks; Auth answers (roles, a token's limits, the audit
/// entry on a refusal), so the store needs no knowledge of how callers sign in.
/// </summary>
public interface IKindAuthorizer
{
    /// <summary>The caller, once allowed; throws <see cref="ForbiddenException"/> when not.</summary>
    Actor Demand(string verb, KindInfo kind, Guid? id = null);
}
