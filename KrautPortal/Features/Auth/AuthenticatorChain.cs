using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Auth;

/// <summary>
/// Asks the configured authenticators in order. The first that recognises the credentials decides; if none
/// does, or there are none, the request is refused. A user name and password go through the login throttle first,
/// and every refusal of them reads the same, whether the name exists or not.
/// </summary>
public sealed class AuthenticatorChain(IEnumerable<IAuthenticator> available, IOptions<AuthOptions> options, LoginThrottle throttle, AuthAudit audit, TimeProvider time)
{
    /// <summary>The one answer to a wrong password and to an unknown name alike.</summary>
    public const string WrongCredentials = "Wrong user name or password.";

    private readonly IReadOnlyList<IAuthenticator> _chain = Order(available, options.Value.EffectiveChain);

    public IReadOnlyList<string> Names => _chain.Select(a => a.Name).ToList();

    /// <summary>The authenticators that can say whether a user still exists, in chain order.</summary>
    public IEnumerable<IUserSource> UserSources => _chain.OfType<IUserSource>();

    /// <summary>Decides and writes the decision to the audit log at once (the portal's login form).</summary>
    public async Task<AuthResult> AuthenticateAsync(AuthRequest request, CancellationToken ct)
    {
        var decision = await DecideAsync(request, ct);
        audit.Record(request, decision, status: null);
        return decision.Result;
    }

    /// <summary>Decides without auditing: the caller audits once the request's final outcome is known.</summary>
    public async Task<AuthDecision> DecideAsync(AuthRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Authorization))
            return new(new AuthResult.Deny("No credentials: send an Authorization header (Basic user:password, or Bearer <token>)."), "chain");
        if (BasicAuthenticator.TryParse(request.Authorization, out var user, out _)) return await PasswordAsync(request, user, ct);
        return await AskAsync(request, ct) ?? new(new AuthResult.Deny("These credentials are not recognised."), "chain");
    }

    private async Task<AuthDecision> PasswordAsync(AuthRequest request, string user, CancellationToken ct)
    {
        var wait = throttle.Wait(user, request.RemoteAddress);
        if (wait > TimeSpan.Zero) return new(new AuthResult.Deny(LoginThrottle.Refusal(wait)), "throttle");
        var slowDown = throttle.SlowDown(user, request.RemoteAddress);
        if (slowDown > TimeSpan.Zero) await Task.Delay(slowDown, time, ct);

        var decision = await AskAsync(request, ct)
            ?? new(new AuthResult.Deny(WrongCredentials, BadCredentials: true, Detail: "Wrong user name or password (no authenticator knows this user)."), "chain");
        switch (decision.Result)
        {
            case AuthResult.Allow:
                throttle.Succeeded(user, request.RemoteAddress);
                break;
            case AuthResult.Deny { BadCredentials: true }:
                throttle.Failed(user, request.RemoteAddress);
                break;
        }
        return decision;
    }

    private async Task<AuthDecision?> AskAsync(AuthRequest request, CancellationToken ct)
    {
        foreach (var authenticator in _chain)
        {
            var result = await authenticator.AuthenticateAsync(request, ct);
            if (result is not AuthResult.NotMine) return new(result, authenticator.Name);
        }
        return null;
    }

    private static List<IAuthenticator> Order(IEnumerable<IAuthenticator> available, IEnumerable<string> names)
    {
        var byName = available.ToDictionary(a => a.Name);
        return names.Select(n => byName.TryGetValue(n, out var a)
            ? a
            : throw new InvalidOperationException($"Auth:Chain names '{n}', which is not an authenticator; known: {string.Join(", ", byName.Keys)}.")).ToList();
    }
}

/// <summary>What the chain decided, and which authenticator decided it (for the audit log).</summary>
public sealed record AuthDecision(AuthResult Result, string Via);
