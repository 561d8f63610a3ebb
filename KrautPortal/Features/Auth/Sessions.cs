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

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        await using var scope = scopes.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<KrautDbContext>().Sessions.AsNoTracking().FirstOrDefaultAsync(s => s.KeyHash == Hash(key));
        if (row is null || row.ExpiresAt <= time.GetUtcNow().UtcDateTime) return null;
        return TicketSerializer.Default.Deserialize(row.Ticket);
    }

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
        if (ActorClaims.FromPrincipal(context.Principal) is not { } actor)
        {
            context.RejectPrincipal();
            return;
        }
        var verdict = await Check(context.HttpContext, actor, context.Properties.IssuedUtc?.UtcDateTime);
        var stamp = context.Properties.Items.TryGetValue(StampItem, out var s) ? s : null;
        if (verdict.Refusal is not null || (stamp is not null && verdict.Stamp is not null && stamp != verdict.Stamp))
        {
            context.RejectPrincipal();
            // Deletes the server-side session too: this cookie never works again.
            await context.HttpContext.SignOutAsync(LoginApi.CookieScheme);
            return;
        }
        var now = context.HttpContext.RequestServices.GetRequiredService<RoleMapper>().ActorFor(actor.Name, verdict.Groups, actor.Via);
        if (now.IsAdmin != actor.IsAdmin || !now.Groups.SequenceEqual(actor.Groups, StringComparer.Ordinal))
        {
            context.ReplacePrincipal(ActorClaims.ToPrincipal(now, LoginApi.CookieScheme));
            context.ShouldRenew = true;
        }
    }

    private static Task<IdentityVerdict> Check(HttpContext http, Actor actor, DateTime? signedInAt) =>
        http.RequestServices.GetRequiredService<IdentityCheck>().CheckAsync(actor.Name, actor.Groups, _ => Task.FromResult(signedInAt), http.RequestAborted);
}
