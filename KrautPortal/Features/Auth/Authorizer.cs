using KrautPortal.Features.Store;

namespace KrautPortal.Features.Auth;

/// <summary>
/// May the current actor do this verb to this kind? Roles and a token's limits are checked here, for the API
/// and the portal alike; which objects they may see is the store's business (owner, shared, token selector).
/// </summary>
public sealed class Authorizer(IActorAccessor actors, AuthAudit audit, IHttpContextAccessor http) : IKindAuthorizer
{
    public Actor Demand(string verb, KindInfo kind, Guid? id = null)
    {
        var actor = actors.Current;
        var refusal = Refusal(actor, verb, kind);
        if (refusal is null) return actor;
        audit.RecordForbidden(http.HttpContext, actor, verb, kind.Name, id, refusal);
        throw new ForbiddenException(refusal);
    }

    public static string? Refusal(Actor actor, string verb, KindInfo kind)
    {
        if (actor.Scope is { } scope && !scope.Allows(verb, kind.Name))
            return $"This token may not {verb} {kind.Plural}; it allows {string.Join(", ", scope.Verbs)} on {string.Join(", ", scope.Kinds)}.";
        if ((kind == Kinds.MachineTypes || kind == Kinds.AddressPools) && verb != Verbs.Read && !actor.IsAdmin)
            return $"Only administrators manage {kind.Plural}.";
        return null;
    }
}
