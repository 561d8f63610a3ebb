using KrautPortal.Features.Store;

namespace KrautPortal.Features.Auth;

/// <summary>
/// What an authenticator is asked: the Authorization header exactly as sent (opaque to everyone but the
/// authenticator that recognises it) and the details of the request it would allow.
/// <c>InteractiveLogin</c> marks the portal's login form, which asks for the second factor itself.
/// </summary>
public sealed record AuthRequest(
    string? Authorization,
    string Method,
    string Path,
    string? Kind,
    Guid? ObjectId,
    string? Selector,
    string? Action,
    string? RemoteAddress,
    bool InteractiveLogin = false);

/// <summary>An authenticator's answer.</summary>
public abstract record AuthResult
{
    private AuthResult() { }

    /// <summary>Vouches for the caller.</summary>
    public sealed record Allow(Actor Actor) : AuthResult;

    /// <summary>Recognises the credentials and refuses them; the chain stops here.</summary>
    /// <param name="Reason">What the caller is told.</param>
    /// <param name="BadCredentials">A wrong password or unknown name: counts towards the login throttle.</param>
    /// <param name="Detail">More for the audit log and administrators only (a file's path and line), never for the caller.</param>
    public sealed record Deny(string Reason, bool BadCredentials = false, string? Detail = null) : AuthResult;

    /// <summary>Not a credential this authenticator understands; the next one is asked.</summary>
    public sealed record NotMine : AuthResult
    {
        public static readonly NotMine Instance = new();
    }
}

/// <summary>One pluggable way to check a request's credentials.</summary>
public interface IAuthenticator
{
    /// <summary>The name used in configuration (<c>Auth:Chain</c>) and in the audit log.</summary>
    string Name { get; }

    Task<AuthResult> AuthenticateAsync(AuthRequest request, CancellationToken ct);

    /// <summary>Who credentials this authenticator reads claim to be (a user name, a token's id), for the audit of a refusal; never the secret.</summary>
    string? Claimed(string? authorization) => null;
}
