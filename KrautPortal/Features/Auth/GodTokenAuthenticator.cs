using System.Security.Cryptography;
using System.Text;
using KrautPortal.Features.Store;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Auth;

/// <summary>
/// <c>Bearer &lt;token&gt;</c> for tokens listed (as SHA-256) in <c>Auth:GodTokens</c>: full access, and every use is
/// in the audit log under <c>god:&lt;name&gt;</c>. Other bearer tokens are not its business.
/// </summary>
public sealed class GodTokenAuthenticator(IOptions<AuthOptions> options) : IAuthenticator
{
    public string Name => "god-token";

    public Task<AuthResult> AuthenticateAsync(AuthRequest request, CancellationToken ct)
    {
        if (Bearer.From(request.Authorization) is not { Length: > 0 } token) return Task.FromResult<AuthResult>(AuthResult.NotMine.Instance);
        var hash = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))));
        foreach (var god in options.Value.GodTokens)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, Encoding.ASCII.GetBytes(god.Sha256.Trim().ToLowerInvariant())))
                return Task.FromResult<AuthResult>(new AuthResult.Allow(new Actor($"god:{god.Name}", IsAdmin: true, [], Via: Name)));
        }
        return Task.FromResult<AuthResult>(AuthResult.NotMine.Instance);
    }
}
