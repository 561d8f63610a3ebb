using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Tokens;

/// <summary>
/// <c>Bearer kraut_&lt;id&gt;_&lt;secret&gt;</c>: a user's limited-scope token. The token acts as its creator, narrowed
/// to its verbs, kinds and selector. Deleting the token revokes it for the next request. The creator is checked
/// again (<see cref="IdentityCheck"/>): a token of a removed user is refused, and a token acts only with the groups
/// its creator has now and had when it was made.
/// </summary>
public sealed class ScopedTokenAuthenticator(IServiceScopeFactory scopes, RoleMapper roles, TimeProvider time) : IAuthenticator
{
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public string Name => "token";

    public string? Claimed(string? authorization) =>
        TokenService.TryParseSecret(Bearer.From(authorization), out var id, out _) ? $"token:{id}" : null;

    public async Task<AuthResult> AuthenticateAsync(AuthRequest request, CancellationToken ct)
    {
        if (!TokenService.TryParseSecret(Bearer.From(request.Authorization), out var id, out var secret)) return AuthResult.NotMine.Instance;

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        var stored = await db.TokenSecrets.AsNoTracking().FirstOrDefaultAsync(t => t.TokenId == id, ct);
        var token = await scope.ServiceProvider.GetRequiredService<KindReader>().FindAsync<TokenSpec, TokenStatus>(Kinds.Tokens, id, ct);
        if (stored is null || token is null
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stored.Sha256), Encoding.ASCII.GetBytes(TokenService.Hash(secret))))
        {
            return new AuthResult.Deny("This token is not valid (revoked, or never issued).");
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (token.Spec.ExpiresAt <= now) return new AuthResult.Deny($"This token expired at {token.Spec.ExpiresAt:u}.");

        var groupsAtCreation = JsonSerializer.Deserialize<List<string>>(stored.CreatorGroups) ?? [];
        // The person who made the token; tokens made before the creator was stored name them in their first version
        // (a token cannot make tokens, so that is a person).
        var person = stored.Creator
            ?? await db.History.AsNoTracking().Where(h => h.ResourceId == id && h.Kind == Kinds.Tokens.Name && h.Version == 1)
                .Select(h => h.ChangedBy).FirstOrDefaultAsync(ct)
            ?? token.Owner;
        var verdict = await scope.ServiceProvider.GetRequiredService<IdentityCheck>().CheckAsync(person, groupsAtCreation,
            async c => await db.Users.AsNoTracking().Where(u => u.Name == person).Select(u => u.LastLoginAt).FirstOrDefaultAsync(c), ct);
        if (verdict.Refusal is { } refusal) return new AuthResult.Deny("This token's creator may no longer use it: " + refusal);
        // A token owned by a group acts as that group: only while its creator is still in it (or an administrator).
        if (token.Owner != person && !verdict.Groups.Contains(token.Owner) && !roles.ActorFor(person, verdict.Groups, Name).IsAdmin)
            return new AuthResult.Deny($"This token belongs to the group '{token.Owner}', which its creator '{person}' has left.");
        var creator = roles.ActorFor(token.Owner, groupsAtCreation.Intersect(verdict.Groups, StringComparer.Ordinal).ToList(), Name);
        if (token.Status.LastUsedAt is not { } last || now - last > LastUsedResolution)
        {
            await new StatusWriter<TokenStatus>(scope.ServiceProvider.GetRequiredService<ResourceStore>(), Kinds.Tokens, id, token.Status)
                .WriteAsync(s => s with { LastUsedAt = now }, ct);
        }
        return new AuthResult.Allow(creator with
        {
            Scope = new TokenScope(id, token.Spec.Verbs, token.Spec.Kinds, token.Spec.Selector, token.Spec.ExpiresAt, person),
        });
    }
}
