using System.Text.RegularExpressions;
using KrautPortal.Features.Auth;
using KrautPortal.Tests.Web;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Browser;

/// <summary>
/// The portal under /kraut behind a real nginx, in a real Chromium: signing in and out, the live connection over a
/// WebSocket through the proxy, and every script, style and call answered (nothing resolved against the site's root).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleProxyPortalTests(BrowserFixture browser, PathBasePortal site) : IClassFixture<PathBasePortal>
{
    [Fact]
    public async Task UnderAPrefixBehindNginx_APersonSignsIn_UsesLivePages_AndSignsOut_WithEveryRequestAnswered()
    {
        var page = await browser.NewPageAsync(site.PublicAddress);
        var problems = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") lock (problems) problems.Add("console: " + m.Text); };
        page.Response += (_, r) => { if (r.Status >= 400) lock (problems) problems.Add($"{r.Status} {r.Url}"); };
        page.RequestFailed += (_, r) => { lock (problems) problems.Add($"failed {r.Url}: {r.Failure}"); };
        var sockets = new List<string>();
        page.WebSocket += (_, s) => { lock (sockets) sockets.Add(s.Url); };
        var root = site.PublicAddress.ToString();

        // A wrong password first: its message comes back through a cookie scoped to the sign-in page under the prefix.
        await page.GotoAsync("login");
        await page.SubmitSignInAsync(InitialAdmin.User, "not-the-password");
        await Expect(page.TestId("login-error")).ToBeVisibleAsync();
        await page.SubmitSignInAsync(InitialAdmin.User, site.Portal.AdminPassword);
        await Expect(page.TestId("current-user")).ToHaveTextAsync(InitialAdmin.User);
        Assert.Equal(root, page.Url);

        await page.GotoInteractiveAsync("vms");
        await Expect(page.TestId("create-vm")).ToBeVisibleAsync();
        // Navigation inside the live connection, no reload: the circuit routes against the prefixed base.
        await page.MarkDocumentAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Images", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(root + "images");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Images");
        await page.AssertNotReloadedAsync();
        // The live connection is a WebSocket through nginx (not a fallback transport that would hide a broken upgrade).
        lock (sockets) Assert.Contains(sockets, u => u.StartsWith($"ws://127.0.0.1:{site.Nginx.Port}/kraut/_blazor", StringComparison.Ordinal));
        Assert.Matches(new Regex(@"""GET /kraut/_blazor\?id=\S+ HTTP/1\.1"" 101 "), site.Nginx.AccessLog);

        await page.TestId("logout").ClickAsync();
        await Expect(page).ToHaveURLAsync(root + "login");
        await Expect(page.Locator("#user")).ToBeVisibleAsync();

        lock (problems) Assert.Empty(problems);
        await page.Context.CloseAsync();
    }
}
