using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Browser;

/// <summary>The portal's rough edges from the walk-through, as a person meets them in Chromium: filter, unknown addresses, sign-in errors, narrow windows.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PortalRoughEdgesTests(BrowserFixture browser, TestDriverPortal app) : IClassFixture<TestDriverPortal>
{
    [Fact]
    public async Task AMalformedFilter_SaysWhatIsWrong_WithdrawsRowsAndBulkActions_AndAGoodFilterSurvivesAReload()
    {
        var team = Guid.NewGuid().ToString("N")[..8];
        var name = "filtered-" + team;
        await app.Api.CreateVmAsync(name, metadata: new JsonObject { ["team"] = team });
        var page = await browser.NewSignedInPageAsync(app.Portal);
        await page.GotoInteractiveAsync("vms");
        await Expect(page.TestId("vm-link").First).ToBeVisibleAsync();

        await page.TestId("selector").FillAsync("team in (" + team);
        await page.TestId("selector").PressAsync("Enter");

        await Expect(page.TestId("selector-error")).ToContainTextAsync("is not valid, so nothing is listed:");
        await Expect(page.TestId("vm-link")).ToHaveCountAsync(0);
        await Expect(page.TestId("bulk-delete")).ToBeDisabledAsync();
        await Expect(page.TestId("bulk-start")).ToBeDisabledAsync();
        await Expect(page.Locator(".mud-input-helper-text.mud-input-error")).Not.ToBeEmptyAsync();
        await page.ScreenshotToAsync("list-filter-error.png");

        await page.TestId("selector").FillAsync("team=" + team);
        await page.TestId("selector").PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($@"/vms\?selector=team%3D{team}$"));
        await Expect(page.TestId("vm-link")).ToHaveTextAsync([name]);

        await page.ReloadAsync();
        await page.WaitForInteractiveAsync();

        await Expect(page.TestId("selector")).ToHaveValueAsync("team=" + team);
        await Expect(page.TestId("vm-link")).ToHaveTextAsync([name]);
    }

    [Fact]
    public async Task UnknownAddresses_GetThePortalsPage_AndAMissingVmSaysSo()
    {
        var page = await browser.NewSignedInPageAsync(app.Portal);

        var response = await page.GotoAsync("no/such/page");

        Assert.Equal(404, response!.Status);
        await Expect(page.TestId("not-found")).ToHaveTextAsync("There is no page here");
        await Expect(page.TestId("current-user")).ToBeVisibleAsync();
        await page.ScreenshotToAsync("not-found.png");

        await page.GotoInteractiveAsync($"vms/{Guid.Empty}");
        await Expect(page.TestId("missing")).ToContainTextAsync($"No VM with id {Guid.Empty} exists (or you may not see it).");
        await Expect(page.Locator(".mud-progress-linear")).ToHaveCountAsync(0);
        await page.ScreenshotToAsync("vm-missing.png");
        await page.TestId("missing").GetByRole(AriaRole.Link, new() { Name = "Back to the list" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/vms$"));
    }

    [Fact]
    public async Task ASignInError_IsShownOnce_WithoutTravellingInTheAddress()
    {
        var page = await browser.NewPageAsync(app.Portal.BaseAddress);
        await page.GotoAsync("login?returnUrl=%2Fvms");
        await page.SubmitSignInAsync("admin", "not-the-password");

        await Expect(page.TestId("login-error")).ToBeVisibleAsync();
        Assert.DoesNotContain("error", page.Url, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("user=", page.Url, StringComparison.Ordinal);
        await Expect(page.Locator("#user")).ToHaveValueAsync("admin");
        await Expect(page.Locator("#password")).ToBeFocusedAsync();

        await page.ReloadAsync();
        await Expect(page.TestId("login-error")).ToHaveCountAsync(0);

        // A link can no longer put words on the sign-in page.
        await page.GotoAsync("login?error=" + Uri.EscapeDataString("Call +1 555 0100 to unlock your account"));
        await Expect(page.TestId("login-error")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task At800Pixels_TheWizardFits_AndTheSkipLinkLeadsToTheContent()
    {
        var page = await browser.NewSignedInPageAsync(app.Portal);
        await page.SetViewportSizeAsync(800, 900);
        await page.GotoInteractiveAsync("vms/new");
        await Expect(page.TestId("wizard")).ToBeVisibleAsync();
        await Expect(page.Locator(".mud-stepper-nav-vertical, .mud-stepper.mud-stepper__vertical, [class*=vertical]").First).ToBeVisibleAsync();

        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"),
            "the page scrolls sideways at 800 px");
        await page.ScreenshotToAsync("wizard-800.png");

        await page.Keyboard.PressAsync("Tab");
        await Expect(page.TestId("skip-link")).ToBeFocusedAsync();
        await Expect(page.TestId("skip-link")).ToBeInViewportAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#main-content")).ToBeFocusedAsync();
        Assert.EndsWith("/vms/new", page.Url, StringComparison.Ordinal);
    }
}
