using System.Security.Claims;
using KrautPortal.Features.Store;
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
/// <see cref="CircuitActorHandler"/> copies the signed-in user in when the circuit opens, and again whenever the
/// circuit's authentication state changes (<see cref="CircuitRevalidation"/>).
/// </summary>
public sealed class RequestActorAccessor(IHttpContextAccessor http) : IActorAccessor
{
    private bool _inCircuit;

    public Actor? CircuitActor { get; set; }

    /// <summary>The circuit's user is now <paramref name="user"/>; anonymous means nobody, whatever the connection's HttpContext still says.</summary>
    public void Follow(ClaimsPrincipal? user)
    {
        _inCircuit = true;
        CircuitActor = ActorClaims.FromPrincipal(user);
    }

    public Actor Current => CircuitActor
        ?? (_inCircuit ? null : ActorClaims.FromPrincipal(http.HttpContext?.User))
        ?? throw new UnauthenticatedException();
}

public sealed class UnauthenticatedException() : Exception("No signed-in user for this request.");

public sealed class CircuitActorHandler(RequestActorAccessor accessor, AuthenticationStateProvider authentication) : CircuitHandler
{
    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        accessor.Follow((await authentication.GetAuthenticationStateAsync()).User);
        authentication.AuthenticationStateChanged += OnChanged;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        authentication.AuthenticationStateChanged -= OnChanged;
        return Task.CompletedTask;
    }

    // A session ended (or its user's groups changed): the next action runs as the new user, or is refused.
    private void OnChanged(Task<AuthenticationState> state) => _ = FollowAsync(state);

    private async Task FollowAsync(Task<AuthenticationState> state)
    {
        try
        {
            accessor.Follow((await state).User);
        }
        catch (Exception)
        {
            accessor.Follow(null);
        }
    }
}
