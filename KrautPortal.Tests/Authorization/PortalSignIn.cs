using System.Net;
using System.Text.RegularExpressions;
using KrautPortal.Features.Auth;
using KrautPortal.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace KrautPortal.Tests.Authorization;

/// <summary>A browser-like client of the portal: signs in through the login form (with its antiforgery token) and keeps the cookie.</summary>
internal static partial class PortalSignIn
{
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
        if (await TokenAsync(browser, "/login") is { } token) form["__RequestVerificationToken"] = token;
        return await browser.PostAsync("/auth/login", new FormUrlEncodedContent(form));
    }

    /// <summary>Signs in and checks it worked; returns the session cookie's value.</summary>
    public static async Task<string> SignInAsync(HttpClient browser, string user, string password)
    {
        using var response = await PostLoginAsync(browser, user, password);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location?.OriginalString == "/",
            $"signing in as {user} gave {(int)response.StatusCode} to {response.Headers.Location}");
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("kraut.session=", StringComparison.Ordinal));
        return cookie["kraut.session=".Length..cookie.IndexOf(';', StringComparison.Ordinal)];
    }

    /// <summary>Logs out as the page's sign-out button does (with the page's antiforgery token, when it has one).</summary>
    public static async Task<HttpResponseMessage> LogoutAsync(HttpClient browser)
    {
        var form = new Dictionary<string, string>();
        if (await TokenAsync(browser, "/") is { } token) form["__RequestVerificationToken"] = token;
        return await browser.PostAsync("/auth/logout", new FormUrlEncodedContent(form));
    }

    /// <summary>The API as the portal's own scripts call it: the session cookie plus the portal header.</summary>
    public static HttpRequestMessage ApiRequest(HttpMethod method, string url, string? sessionCookie = null, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Add(AuthSetup.PortalHeader, "1");
        if (sessionCookie is not null) request.Headers.Add("Cookie", "kraut.session=" + sessionCookie);
        return request;
    }

    private static async Task<string?> TokenAsync(HttpClient browser, string page)
    {
        using var response = await browser.GetAsync(page);
        var html = await response.Content.ReadAsStringAsync();
        var match = TokenPattern().Match(html);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
