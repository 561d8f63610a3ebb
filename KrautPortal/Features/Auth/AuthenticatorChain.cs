namespace KrautPortal.Features.Auth;

/// <summary>
/// Asks the configured authenticators in order. The first that recognises the credentials decides; if none
/// does, or there are none, the request is refused. Every decision is audited.
/// </summary>
public sealed class AuthenticatorChain(IEnumerable<IAuthenticator> available, Microsoft.Extensions.Options.IOptions<AuthOptions> options, AuthAudit audit)
{
    private readonly IReadOnlyList<IAuthenticator> _chain = Order(available, options.Value.EffectiveChain);

    public IReadOnlyList<string> Names => _chain.Select(a => a.Name).ToList();

    public async Task<AuthResult> AuthenticateAsync(AuthRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Authorization))
        {
            var anonymous = new AuthResult.Deny("No credentials: send an Authorization header (Basic user:password, or Bearer <token>).");
            audit.Record(request, null, anonymous, "chain");
            return anonymous;
        }
        foreach (var authenticator in _chain)
        {
            var result = await authenticator.AuthenticateAsync(request, ct);
            if (result is AuthResult.NotMine) continue;
            audit.Record(request, (result as AuthResult.Allow)?.Actor, result, authenticator.Name);
            return result;
        }
        var unknown = new AuthResult.Deny("These credentials are not recognised.");
        audit.Record(request, null, unknown, "chain");
        return unknown;
    }

    private static List<IAuthenticator> Order(IEnumerable<IAuthenticator> available, IEnumerable<string> names)
    {
        var byName = available.ToDictionary(a => a.Name);
        return names.Select(n => byName.TryGetValue(n, out var a)
            ? a
            : throw new InvalidOperationException($"Auth:Chain names '{n}', which is not an authenticator; known: {string.Join(", ", byName.Keys)}.")).ToList();
    }
}
