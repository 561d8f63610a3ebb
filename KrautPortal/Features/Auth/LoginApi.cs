using System.Text;
using System.Text.Json;
using KrautPortal.Features.Api;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;

namespace KrautPortal.Features.Auth;

/// <summary>
/// The portal's sign-in: the form's user and password go through the same authenticator chain as the API
/// (as a Basic header), then a one-time code when the user enrolled one, then a cookie.
/// </summary>
public static class LoginApi
{
    public const string CookieScheme = "KrautCookie";
    private const string PendingCookie = "kraut.pending";
    private static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(5);

    public static void MapLogin(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/auth").AllowAnonymous().ExcludeFromDescription();
        group.MapPost("/login", LoginAsync);
        group.MapPost("/code", CodeAsync);
        group.MapPost("/logout", LogoutAsync);
    }

    public static async Task<IResult> LoginAsync(HttpContext http, [FromForm] string? user, [FromForm] string? password, [FromForm] string? returnUrl,
        AuthenticatorChain chain, OtpService otp, IDataProtectionProvider protection, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(user) || string.IsNullOrEmpty(password))
            return Back("~/login", "Enter your user name and password.", returnUrl, user);
        var header = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        var request = HeaderAuthenticationHandler.Describe(http.Request) with { Authorization = header, InteractiveLogin = true };
        var result = await chain.AuthenticateAsync(request, ct);
        if (result is not AuthResult.Allow allow)
            return Back("~/login", (result as AuthResult.Deny)?.Reason ?? "Wrong user name or password.", returnUrl, user);
        if (await otp.IsEnabledAsync(allow.Actor.Name, ct))
        {
            var pending = Protector(protection).Protect(JsonSerializer.Serialize(new Pending(allow.Actor, DateTime.UtcNow + PendingLifetime)));
            http.Response.Cookies.Append(PendingCookie, pending, new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps, Path = "/", MaxAge = PendingLifetime,
            });
            return Results.Redirect("~/login/code" + Query(returnUrl, null, null));
        }
        await SignInAsync(http, allow.Actor);
        return Results.LocalRedirect(SafeReturn(http, returnUrl));
    }

    public static async Task<IResult> CodeAsync(HttpContext http, [FromForm] string? code, [FromForm] string? returnUrl,
        OtpService otp, LoginThrottle throttle, AuthAudit audit, IDataProtectionProvider protection, CancellationToken ct)
    {
        if (!TryReadPending(http, protection, out var actor)) return Back("~/login", "Your sign-in took too long; start again.", returnUrl, null);
        var address = http.Connection.RemoteIpAddress?.ToString();
        if (throttle.Wait(actor.Name, address) is var wait && wait > TimeSpan.Zero) return Back("~/login/code", LoginThrottle.Refusal(wait), returnUrl, null);

        var check = await otp.VerifyAsync(actor.Name, code ?? "", ct);
        var request = HeaderAuthenticationHandler.Describe(http.Request);
        if (check != OtpCheck.Valid)
        {
            throttle.Failed(actor.Name, address);
            var reason = check == OtpCheck.Replayed ? "That code was already used; wait for the next one." : "That code is not right.";
            audit.Record(request, actor, new AuthResult.Deny(reason), "otp");
            return Back("~/login/code", reason, returnUrl, null);
        }
        audit.Record(request, actor, new AuthResult.Allow(actor), "otp");
        http.Response.Cookies.Delete(PendingCookie);
        await SignInAsync(http, actor);
        return Results.LocalRedirect(SafeReturn(http, returnUrl));
    }

    public static async Task<IResult> LogoutAsync(HttpContext http, IAntiforgery antiforgery, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        // Only the portal's own Sign out form (it carries the token): another site must not sign a visitor out.
        if (!Web.SameOrigin.Allows(http.Request) || !await antiforgery.IsRequestValidAsync(http))
            return Problems.Result(new BadRequestException("Sign-out refused", "Sign out with the portal's own Sign out button."));
        await http.SignOutAsync(CookieScheme);
        return Results.Redirect("~/login");
    }

    private static async Task SignInAsync(HttpContext http, Actor actor)
    {
        await http.SignInAsync(CookieScheme, ActorClaims.ToPrincipal(actor, CookieScheme));
        await http.RequestServices.GetRequiredService<UserDirectory>().TouchLoginAsync(actor.Name, http.RequestAborted);
    }

    private sealed record Pending(Actor Actor, DateTime ExpiresAt);

    private static IDataProtector Protector(IDataProtectionProvider protection) => protection.CreateProtector("Kraut.Login.Pending.v1");

    private static bool TryReadPending(HttpContext http, IDataProtectionProvider protection, out Actor actor)
    {
        actor = null!;
        if (!http.Request.Cookies.TryGetValue(PendingCookie, out var value)) return false;
        try
        {
            var pending = JsonSerializer.Deserialize<Pending>(Protector(protection).Unprotect(value));
            if (pending is null || pending.ExpiresAt < DateTime.UtcNow) return false;
            actor = pending.Actor;
            return true;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    // The error and the name typed go in a short-lived cookie, not the address (see LoginFlash).
    private static IResult Back(string page, string error, string? returnUrl, string? user) => LoginFlash.RedirectWith(page + Query(returnUrl, null, null), error, user);

    private static string Query(string? returnUrl, string? error, string? user)
    {
        var parts = new List<string>();
        if (!string.IsNullOrEmpty(returnUrl)) parts.Add("returnUrl=" + Uri.EscapeDataString(returnUrl));
        if (error is not null) parts.Add("error=" + Uri.EscapeDataString(error));
        if (!string.IsNullOrEmpty(user)) parts.Add("user=" + Uri.EscapeDataString(user));
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    /// <summary>
    /// Only a path of this portal (under its path base, which the path includes): a login link must not send people
    /// elsewhere. Printable ASCII only (a browser sends anything else percent-encoded): a tab or newline in a Location
    /// header was a 500. "~/" is the portal's root, wherever it is published.
    /// </summary>
    private static string SafeReturn(HttpContext http, string? returnUrl) =>
        returnUrl is { Length: > 0 } r && r.StartsWith('/') && !r.StartsWith("//", StringComparison.Ordinal) && !r.Contains('\\')
            && r.All(c => c is > ' ' and < (char)127) && new PathString(r.Split('?', 2)[0]).StartsWithSegments(http.Request.PathBase) ? r : "~/";
}
