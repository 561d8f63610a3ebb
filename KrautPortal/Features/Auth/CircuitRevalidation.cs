using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Auth;

/// <summary>
/// An open portal tab (a Blazor circuit) sends no cookie after it opened, so the cookie's checks never see it again.
/// Every <see cref="AuthOptions.SessionRecheckSeconds"/> this asks what the cookie path asks: does the session still
/// exist (not logged out elsewhere, not ended by an administrator, not expired), and does its user still pass
/// <see cref="SessionValidation.JudgeAsync"/>. If not, the circuit's user becomes anonymous: the router shows
/// <c>RedirectToLogin</c> and <see cref="RequestActorAccessor"/> refuses every further action. Changed groups replace
/// the circuit's user, as they replace the cookie's.
/// </summary>
public sealed class CircuitRevalidation(ILoggerFactory loggers, SessionStore sessions, IdentityCheck identities, RoleMapper roles, IOptions<AuthOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(Math.Max(1, options.Value.SessionRecheckSeconds));

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var user = authenticationState.User;
        if (ActorClaims.FromPrincipal(user) is not { } actor) return false;
        IdentityVerdict? verdict;
        if (user.FindFirst(SessionStore.SessionClaim)?.Value is { } session)
        {
            if (await sessions.FindAsync(session, cancellationToken) is not { } ticket) return false;
            verdict = await SessionValidation.JudgeAsync(identities, ticket.Principal, ticket.Properties, cancellationToken);
        }
        else
        {
            // Opened with credentials in a header (a browser's Basic prompt, a token): no session to look for, the user is still checked.
            verdict = await SessionValidation.JudgeAsync(identities, user, new AuthenticationProperties(), cancellationToken);
        }
        if (verdict is null) return false;
        if (SessionValidation.Regrouped(roles, actor, verdict) is { } now)
        {
            var principal = ActorClaims.ToPrincipal(now, user.Identity!.AuthenticationType!);
            if (user.FindFirst(SessionStore.SessionClaim) is { } claim) ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(claim.Type, claim.Value));
            // Starts the next round of checks for the new user, and stops this one.
            SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));
        }
        return true;
    }
}
