using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace KrautPortal.Features.Auth;

/// <summary>The single place a request's principal comes from, for the API and the portal alike.</summary>
public interface IActorAccessor
{
    /// <summary>The caller. Throws when there is none: code that runs for nobody must say so with <see cref="Actor.System"/>.</summary>
    Actor Current { get; }
}

/// <summary>
/// An API request's actor is on its HttpContext. A portal circuit outlives its HTTP request, so
/// <see cref="CircuitActorHandler"/> copies the signed-in user in when the circuit opens.
/// </summary>
public sealed class RequestActorAccessor(IHttpContextAccessor http) : IActorAccessor
{
    public Actor? CircuitActor { get; set; }

    public Actor Current => CircuitActor ?? ActorClaims.FromPrincipal(http.HttpContext?.User)
        ?? throw new UnauthenticatedException();
}

public sealed class UnauthenticatedException() : Exception("No signed-in user for this request.");

public sealed class CircuitActorHandler(RequestActorAccessor accessor, AuthenticationStateProvider authentication) : CircuitHandler
{
    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        accessor.CircuitActor = ActorClaims.FromPrincipal((await authentication.GetAuthenticationStateAsync()).User);
    }
}
