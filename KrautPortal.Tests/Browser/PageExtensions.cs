using KrautPortal.Tests.Support;
using Microsoft.Playwright;

namespace KrautPortal.Tests.Browser;

/// <summary>Small waits and helpers shared by the browser tests.</summary>
public static class PageExtensions
{
    /// <summary>
    /// Opens <paramref name="path"/> and waits until the Blazor circuit has taken over the prerendered HTML.
    /// Before that, clicks on buttons do nothing. The interactive renderer marks elements it holds
    /// references to with <c>_bl_*</c> attributes (every MudButton has one); prerendered HTML has none.
    /// </summary>
    public static async Task GotoInteractiveAsync(this IPage page, string path)
    {
        await page.GotoAsync(path);
        await page.WaitForInteractiveAsync();
    }

    public static Task WaitForInteractiveAsync(this IPage page) =>
        page.WaitForFunctionAsync("() => [...document.querySelectorAll('button, a')].some(e => e.getAttributeNames().some(n => n.startsWith('_bl_')))");

    /// <summary>Marks the document, so a test can prove later that the page was never reloaded.</summary>
    public static Task MarkDocumentAsync(this IPage page) => page.EvaluateAsync("() => { window.__krautNoReload = true; }");

    public static async Task AssertNotReloadedAsync(this IPage page) =>
        Assert.True(await page.EvaluateAsync<bool>("() => window.__krautNoReload === true"), "the page was reloaded");

    public static ILocator TestId(this IPage page, string id) => page.GetByTestId(id);

    /// <summary>
    /// Clicks into the console's terminal so typing reaches it. A full run once saw Chromium's renderer take over 10 s to
    /// acknowledge this click while the two cores were busy with guests and other browsers; the click itself is not
    /// what these tests are about, so it gets the time a loaded machine needs.
    /// </summary>
    public static Task FocusTerminalAsync(this IPage page) =>
        page.TestId("console-view").Locator(".xterm").ClickAsync(new() { Timeout = 30_000 });

    /// <summary>Signs in through the login form and waits for the signed-in portal.</summary>
    public static async Task SignInAsync(this IPage page, string user, string password, string path = "")
    {
        await page.GotoAsync("login" + (path.Length > 0 ? "?returnUrl=" + Uri.EscapeDataString("/" + path) : ""));
        await page.SubmitSignInAsync(user, password);
        await Microsoft.Playwright.Assertions.Expect(page.TestId("current-user")).ToHaveTextAsync(user);
    }

    /// <summary>Fills the open sign-in form and submits it; what follows (the portal, an error, a code) is the caller's to check.</summary>
    public static async Task SubmitSignInAsync(this IPage page, string user, string password)
    {
        await page.Locator("#user").FillAsync(user);
        await page.Locator("#password").FillAsync(password);
        await page.TestId("login-submit").ClickAsync();
    }

    /// <summary>Where screenshots go: KRAUT_SCREENSHOT_DIR (set it to docs/screenshots to refresh the docs), else the test output.</summary>
    public static async Task ScreenshotToAsync(this IPage page, string name)
    {
        var dir = Environment.GetEnvironmentVariable("KRAUT_SCREENSHOT_DIR") is { Length: > 0 } d
            ? Path.GetFullPath(d, RepoPaths.Root)
            : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        // Grow the window to the page instead of a full-page shot, which cuts the fixed drawer off at the old height.
        var viewport = page.ViewportSize!;
        var height = await page.EvaluateAsync<int>("() => document.documentElement.scrollHeight");
        await page.SetViewportSizeAsync(viewport.Width, Math.Max(viewport.Height, height));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name) });
        await page.SetViewportSizeAsync(viewport.Width, viewport.Height);
    }
}
