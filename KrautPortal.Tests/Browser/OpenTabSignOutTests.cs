using System.Text.RegularExpressions;
using KrautPortal.Tests.Auth;
using KrautPortal.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Browser;

/// <summary>
/// Issue 9: a session ended on the server must end in the tab that is still open too, not only on its next page load.
/// A real portal process checks open tabs every second here (Auth:SessionRecheckSeconds).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class OpenTabSignOutTests(BrowserFixture browser)
{
    private const string CarolPassword = "carol-Tab-Pw-5";
    private const string AnnPassword = "ann-Admin-Pw-2";

    [Fact]
    public async Task AnAdministratorEndingCarolsSessions_SendsHerOpenTabToTheSignInPage_WithoutAReload()
    {
        using var dir = new TempDir();
        var htpasswd = dir.File("htpasswd");
        HtpasswdTool.Set(htpasswd, "-B", "carol", CarolPassword);
        HtpasswdTool.Set(htpasswd, "-B", "ann", AnnPassword);
        await using var portal = new PortalProcess(KrautAppFactory.TestDriver, "blank", new Dictionary<string, string?>
        {
            ["Auth:Htpasswd:File"] = htpasswd,
            ["Auth:Admins:0"] = "ann",
            ["Auth:SessionRecheckSeconds"] = "1",
        });
        await portal.StartAsync();

        var carol = await browser.NewPageAsync(portal.BaseAddress);
        await carol.SignInAsync("carol", CarolPassword);
        await carol.GotoInteractiveAsync("profile");
        await Expect(carol.Locator("#page-title")).ToHaveTextAsync("carol");

        // The administrator, in a browser of their own, ends her sessions on the admin page.
        var admin = await browser.NewPageAsync(portal.BaseAddress);
        await admin.SignInAsync("ann", AnnPassword);
        await admin.GotoInteractiveAsync("admin");
        await admin.TestId("end-sessions-carol").ClickAsync();
        await Expect(admin.GetByText("Ended 1 session(s) of carol.")).ToBeVisibleAsync();

        // Her tab, untouched since, leaves for the sign-in page by itself, and the sign-in form is what it shows.
        await Expect(carol).ToHaveURLAsync(new Regex(@"/login\?returnUrl=%2Fprofile$"), new() { Timeout = 15_000 });
        await Expect(carol.Locator("#user")).ToBeVisibleAsync();
        Assert.Equal(0, await carol.TestId("current-user").CountAsync());

        await carol.Context.CloseAsync();
        await admin.Context.CloseAsync();
    }
}
