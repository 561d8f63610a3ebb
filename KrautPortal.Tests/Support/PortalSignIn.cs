using System.Net;
using System.Text.RegularExpressions;
using KrautPortal.Features.Auth;
using Microsoft.AspNetCore.Mvc.Testing;

namespace KrautPortal.Tests.Support;

/// <summary>
/// The portal's sign-in form as a browser uses it over HTTP: the page's antiforgery token, the POST, the session cookie.
/// (The browser tests fill the same form in Chromium: Browser/PageExtensions.)
/// </summary>
public static partial class PortalSignIn
{
    public const string SessionCookieName = "kraut.session";

    /// <summary>A client with a cookie jar, no Authorization header and no automatic redirects.</summary>
    public static HttpClient Browser(KrautAppFactory app)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        client.DefaultRequestHeaders.Remove("Authorization");
        return client;
    }

    /// <summary>Posts the login form; returns the answer (a redirect either way: to where the user was going, or back with an error).</summary>
    public static async Task<HttpResponseMessage> PostLoginAsync(HttpClient browser, string user, string password)
    {
        var form = new Dictionary<string, string> { ["user"] = user, ["password"] = password };
        form["__RequestVerificationToken"] = await RequiredTokenAsync(browser, "/login");
        return await browser.PostAsync("/auth/login", new FormUrlEncodedContent(form));
    }

    /// <summary>Signs in and checks it worked; returns the session cookie's value.</summary>
    public static async Task<string> SignInAsync(HttpClient browser, string user, string password)
    {
        using var response = await PostLoginAsync(browser, user, password);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location?.OriginalString == "/",
            $"signing in as {user} gave {(int)response.StatusCode} to {response.Headers.Location}");
        var cookie = SetSessionCookie(response);
        return cookie[(SessionCookieName.Length + 1)..cookie.IndexOf(';', StringComparison.Ordinal)];
    }

    /// <summary>Logs out as the page's sign-out button does (with the page's antiforgery token, when it has one).</summary>
    public static async Task<HttpResponseMessage> LogoutAsync(HttpClient browser)
    {
        var form = new Dictionary<string, string>();
        if (await TokenAsync(browser, "/") is { } token) form["__RequestVerificationToken"] = token;
        return await browser.PostAsync("/auth/logout", new FormUrlEncodedContent(form));
    }

    /// <summary>The API as the portal's own scripts call it: the session cookie (or the client's own jar) plus the portal header.</summary>
    public static HttpRequestMessage ApiRequest(HttpMethod method, string url, string? sessionCookie = null, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Add(AuthSetup.PortalHeader, "1");
        if (sessionCookie is not null) request.Headers.Add("Cookie", $"{SessionCookieName}={sessionCookie}");
        return request;
    }

    /// <summary>The whole <c>Set-Cookie</c> header of the session cookie (with its attributes).</summary>
    public static string SetSessionCookie(HttpResponseMessage response) =>
        response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(SessionCookieName + "=", StringComparison.Ordinal));

    /// <summary>The antiforgery token of <paramref name="page"/>'s form, or null when it has none.</summary>
    public static async Task<string?> TokenAsync(HttpClient browser, string page)
    {
        using var response = await browser.GetAsync(page);
        var html = await response.Content.ReadAsStringAsync();
        var match = TokenPattern().Match(html);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    /// <summary>The antiforgery token of a page that must have a form (the sign-in page always has).</summary>
    public static async Task<string> RequiredTokenAsync(HttpClient browser, string page) =>
        await TokenAsync(browser, page) ?? throw new InvalidOperationException($"{page} has no antiforgery token");

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
