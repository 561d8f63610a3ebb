using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace KrautPortal.Features.Auth;

/// <summary>
/// Carries a sign-in error (and the user name typed) from the form's POST to the page it redirects to, in a
/// short-lived protected cookie. Not in the address: there it lands in logs and history, and anyone could write
/// a link whose login page says whatever they like.
/// </summary>
public static class LoginFlash
{
    private const string Cookie = "kraut.login-flash";
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    public sealed record Message(string Error, string? User);

    /// <summary>A redirect to <paramref name="url"/> that leaves the message for the page there.</summary>
    public static IResult RedirectWith(string url, string error, string? user) => new FlashRedirect(url, error, user);

    private sealed class FlashRedirect(string url, string error, string? user) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            // Time-limited too: a copied cookie is as short-lived as the one the browser keeps.
            var text = Protector(http).Protect(JsonSerializer.Serialize(new Message(error, string.IsNullOrEmpty(user) ? null : user)), Lifetime);
            http.Response.Cookies.Append(Cookie, text, new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = http.Request.IsHttps, Path = LoginPath(http), MaxAge = Lifetime, IsEssential = true,
            });
            return Results.Redirect(url).ExecuteAsync(http);
        }
    }

    /// <summary>The message left for this page, once: it is removed as it is read.</summary>
    public static Message? Take(HttpContext? http)
    {
        if (http is null || !http.Request.Cookies.TryGetValue(Cookie, out var text)) return null;
        if (!http.Response.HasStarted) http.Response.Cookies.Delete(Cookie, new CookieOptions { Path = LoginPath(http) });
        try
        {
            return JsonSerializer.Deserialize<Message>(Protector(http).Unprotect(text));
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The sign-in pages' path, under the portal's path base behind a proxy.</summary>
    private static string LoginPath(HttpContext http) => http.Request.PathBase + "/login";

    private static ITimeLimitedDataProtector Protector(HttpContext http) =>
        http.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector("Kraut.Login.Flash.v1").ToTimeLimitedDataProtector();
}
