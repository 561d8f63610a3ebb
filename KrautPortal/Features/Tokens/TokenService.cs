using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Tokens;

/// <summary>
/// Creates limited-scope tokens. The secret is shown once; only its SHA-256 is kept, in its own table,
/// written in the same transaction as the token record.
/// </summary>
public sealed class TokenService(ResourceService<TokenSpec, TokenStatus> tokens, DbSession session, IActorAccessor actors)
{
    private KrautDbContext db => session.Db;

    public const string Prefix = "kraut_";

    public async Task<CreatedToken> CreateAsync(ResourceInput<TokenSpec> input, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        db.TokenSecrets.Add(new TokenSecretRow
        {
            TokenId = id,
            Sha256 = Hash(secret),
            CreatorGroups = JsonSerializer.Serialize(actors.Current.Groups),
            Creator = actors.Current.Name,
        });
        try
        {
            var token = await tokens.CreateAsync(input, ct, id: id);
            return new CreatedToken(token, $"{Prefix}{id:N}_{secret}");
        }
        catch
        {
            // Refused (validation, name taken): the secret must not be saved by the next write in this scope.
            db.ChangeTracker.Clear();
            throw;
        }
    }

    /// <summary>Splits <c>kraut_&lt;id&gt;_&lt;secret&gt;</c>; false for anything else.</summary>
    public static bool TryParseSecret(string? bearer, out Guid id, out string secret)
    {
        id = Guid.Empty;
        secret = "";
        if (bearer is null || !bearer.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var parts = bearer[Prefix.Length..].Split('_');
        if (parts.Length != 2 || !Guid.TryParseExact(parts[0], "N", out id)) return false;
        secret = parts[1];
        return secret.Length == 64;
    }

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
