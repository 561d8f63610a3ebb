using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Auth;

/// <summary>A portal sign-in, kept on the server: the cookie holds only a random key, so deleting the row ends the session.</summary>
public sealed class SessionRow
{
    /// <summary>SHA-256 of the key in the cookie: the table alone does not let anyone in.</summary>
    public required string KeyHash { get; set; }

    public required string User { get; set; }

    /// <summary>The signed-in principal and its properties, as ASP.NET serialises an authentication ticket.</summary>
    public required byte[] Ticket { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
}

/// <summary>
/// Keeps portal sessions in the database (<c>sessions</c>). Logging out deletes the row, so a copied cookie stops
/// working at once; an administrator can end all of a user's sessions; expired rows are swept by <see cref="AuthHousekeeping"/>.
/// </summary>
public sealed class SessionStore(IServiceScopeFactory scopes, TimeProvider time) : ITicketStore
{
    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        db.Sessions.Add(new SessionRow
        {
            KeyHash = Hash(key),
            User = ticket.Principal.Identity?.Name ?? "",
            Ticket = TicketSerializer.Default.Serialize(ticket),
            CreatedAt = time.GetUtcNow().UtcDateTime,
            ExpiresAt = ticket.Properties.ExpiresUtc?.UtcDateTime,
        });
        await db.SaveChangesAsync();
        return key;
    }

    public async Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        var bytes = TicketSerializer.Default.Serialize(ticket);
        var expires = ticket.Properties.ExpiresUtc?.UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<KrautDbContext>().Sessions.Where(s => s.KeyHash == Hash(key))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Ticket, bytes).SetProperty(r => r.ExpiresAt, expires));
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => FindAsync(Hash(key), CancellationToken.None);

    /// <summary>
    /// The live session with this <see cref="SessionClaim"/>, as it is stored now (renewed groups included); null once it
    /// was ended or expired. The portal's open tabs ask this (<see cref="CircuitRevalidation"/>): they have no cookie to send.
    /// </summary>
    public async Task<AuthenticationTicket?> FindAsync(string keyHash, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<KrautDbContext>().Sessions.AsNoTracking().FirstOrDefaultAsync(s => s.KeyHash == keyHash, ct);
        if (row is null || row.ExpiresAt <= time.GetUtcNow().UtcDateTime) return null;
        var ticket = TicketSerializer.Default.Deserialize(row.Ticket);
        if (ticket?.Principal.Identity is not ClaimsIdentity identity) return ticket;
        // The signed-in principal names its session, so a circuit opened with it can find the session again.
        foreach (var old in identity.FindAll(SessionClaim).ToList()) identity.RemoveClaim(old);
        identity.AddClaim(new Claim(SessionClaim, keyHash));
        return ticket;
    }

    /// <summary>The claim naming the session a principal came from: the hash of its key (not the key: it lets no one in).</summary>
    public const string SessionClaim = "kraut:session";

    public async Task RemoveAsync(string key)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<KrautDbContext>().Sessions.Where(s => s.KeyHash == Hash(key)).ExecuteDeleteAsync();
    }

    /// <summary>Ends every session of a user (an administrator's action, or the user is gone); returns how many.</summary>
    public async Task<int> EndAllAsync(string user, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<KrautDbContext>().Sessions.Where(s => s.User == user).ExecuteDeleteAsync(ct);
    }

    /// <summary>Live sessions per user, for the admin page.</summary>
    public async Task<Dictionary<string, int>> CountsAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<KrautDbContext>().Sessions.AsNoTracking()
            .Where(s => s.ExpiresAt == null || s.ExpiresAt > now).GroupBy(s => s.User)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(key)));
}

/// <summary>
/// The cookie's checks on each request: the user is looked up again (<see cref="IdentityCheck"/>). A removed user's,
/// or a changed password's, session ends; changed groups take effect in the session at once.
/// </summary>
public static class SessionValidation
{
    private const string StampItem = "kraut:stamp";

    /// <summary>At sign-in: remember the password's stamp, so a later password change ends this session.</summary>
    public static async Task SigningInAsync(CookieSigningInContext context)
    {
        if (ActorClaims.FromPrincipal(context.Principal) is not { } actor) return;
        var verdict = await Check(context.HttpContext, actor, DateTime.UtcNow);
        if (verdict.Stamp is not null) context.Properties.Items[StampItem] = verdict.Stamp;
    }

    public static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var verdict = await JudgeAsync(services.GetRequiredService<IdentityCheck>(), context.Principal, context.Properties, context.HttpContext.RequestAborted);
        if (verdict is null)
        {
            context.RejectPrincipal();
            // Deletes the server-side session too: this cookie never works again.
            await context.HttpContext.SignOutAsync(LoginApi.CookieScheme);
            return;
        }
        var actor = ActorClaims.FromPrincipal(context.Principal)!;
        if (Regrouped(services.GetRequiredService<RoleMapper>(), actor, verdict) is { } now)
        {
            var principal = ActorClaims.ToPrincipal(now, LoginApi.CookieScheme);
            if (context.Principal?.FindFirst(SessionStore.SessionClaim) is { } session) ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(session.Type, session.Value));
            context.ReplacePrincipal(principal);
            context.ShouldRenew = true;
        }
    }

    /// <summary>
    /// Whether a session's user may still act: they still exist in the password source and their password is the one
    /// they signed in with. Null when not. The one check for cookies and for open portal tabs.
    /// </summary>
    public static async Task<IdentityVerdict?> JudgeAsync(IdentityCheck identities, ClaimsPrincipal? principal, AuthenticationProperties properties, CancellationToken ct)
    {
        if (ActorClaims.FromPrincipal(principal) is not { } actor) return null;
        var signedInAt = properties.IssuedUtc?.UtcDateTime;
        var verdict = await identities.CheckAsync(actor.Name, actor.Groups, _ => Task.FromResult(signedInAt), ct);
        var stamp = properties.Items.TryGetValue(StampItem, out var s) ? s : null;
        if (verdict.Refusal is not null || (stamp is not null && verdict.Stamp is not null && stamp != verdict.Stamp)) return null;
        return verdict;
    }

    /// <summary>The actor with the groups the source reports now, when they differ from the session's; otherwise null.</summary>
    public static Actor? Regrouped(RoleMapper roles, Actor actor, IdentityVerdict verdict)
    {
        var now = roles.ActorFor(actor.Name, verdict.Groups, actor.Via);
        return now.IsAdmin != actor.IsAdmin || !now.Groups.SequenceEqual(actor.Groups, StringComparer.Ordinal) ? now : null;
    }

    private static Task<IdentityVerdict> Check(HttpContext http, Actor actor, DateTime? signedInAt) =>
        http.RequestServices.GetRequiredService<IdentityCheck>().CheckAsync(actor.Name, actor.Groups, _ => Task.FromResult(signedInAt), http.RequestAborted);
}
