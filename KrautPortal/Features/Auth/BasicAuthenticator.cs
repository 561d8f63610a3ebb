using System.Text;
using KrautPortal.Features.Store;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Auth;

/// <summary>
/// Turns a password verifier into an authenticator for <c>Authorization: Basic base64(user:password)</c>.
/// A user with a second factor enrolled must use a token on the API instead. (The chain throttles failures.)
/// </summary>
public sealed class BasicAuthenticator(IPasswordVerifier verifier, PasswordChecks checks, RoleMapper roles, IServiceScopeFactory scopes) : IAuthenticator, IUserSource
{
    public string Name => verifier.Name;

    public Task<UserLookup> LookupAsync(string user, CancellationToken ct) => verifier.LookupAsync(user, ct);

    public async Task<AuthResult> AuthenticateAsync(AuthRequest request, CancellationToken ct)
    {
        if (!TryParse(request.Authorization, out var user, out var password)) return AuthResult.NotMine.Instance;

        switch (await checks.VerifyAsync(verifier, user, password, ct))
        {
            case PasswordCheck.Valid valid:
                if (!request.InteractiveLogin && await HasSecondFactorAsync(user, ct))
                    return new AuthResult.Deny($"'{user}' uses a one-time code: create a token in the portal (Profile → Tokens) for API use.");
                return new AuthResult.Allow(roles.ActorFor(user, valid.Groups, Name));
            case PasswordCheck.WrongPassword:
                return new AuthResult.Deny(AuthenticatorChain.WrongCredentials, BadCredentials: true);
            case PasswordCheck.UnusableEntry unusable:
                return new AuthResult.Deny(AuthenticatorChain.WrongCredentials, BadCredentials: true, Detail: unusable.Detail);
            case PasswordCheck.Unavailable unavailable:
                return new AuthResult.Deny(unavailable.Reason);
            default:
                return AuthResult.NotMine.Instance;
        }
    }

    private async Task<bool> HasSecondFactorAsync(string user, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<OtpService>().IsEnabledAsync(user, ct);
    }

    public string? Claimed(string? authorization) => TryParse(authorization, out var user, out _) ? user : null;

    public static bool TryParse(string? header, out string user, out string password)
    {
        user = password = "";
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) return false;
            (user, password) = (decoded[..colon], decoded[(colon + 1)..]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>Who is an administrator: named users, or members of the configured admin groups.</summary>
public sealed class RoleMapper(IOptions<AuthOptions> options)
{
    public Actor ActorFor(string user, IReadOnlyList<string> groups, string via) =>
        new(user, options.Value.Admins.Contains(user) || groups.Any(g => options.Value.AdminGroups.Contains(g)), groups, Via: via);
}
