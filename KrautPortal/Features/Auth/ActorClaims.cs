using System.Security.Claims;
using System.Text.Json;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Auth;

/// <summary>Carries an <see cref="Actor"/> in a ClaimsPrincipal (request user, portal cookie) and back.</summary>
public static class ActorClaims
{
    public const string AdminClaim = "kraut:admin";
    private const string Group = "kraut:group";
    private const string Via = "kraut:via";
    private const string Scope = "kraut:scope";

    public static ClaimsPrincipal ToPrincipal(Actor actor, string scheme)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, actor.Name), new(Via, actor.Via) };
        if (actor.IsAdmin) claims.Add(new Claim(AdminClaim, "true"));
        claims.AddRange(actor.Groups.Select(g => new Claim(Group, g)));
        if (actor.Scope is not null) claims.Add(new Claim(Scope, JsonSerializer.Serialize(actor.Scope)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, null));
    }

    public static Actor? FromPrincipal(ClaimsPrincipal? principal)
    {
        if (principal?.Identity is not { IsAuthenticated: true, Name: { Length: > 0 } name }) return null;
        var scope = principal.FindFirst(Scope)?.Value is { } json ? JsonSerializer.Deserialize<TokenScope>(json) : null;
        return new Actor(name, principal.HasClaim(AdminClaim, "true"), principal.FindAll(Group).Select(c => c.Value).ToList(),
            scope, principal.FindFirst(Via)?.Value ?? "unknown");
    }
}
