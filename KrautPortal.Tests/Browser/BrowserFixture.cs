using Microsoft.Playwright;

namespace KrautPortal.Tests.Browser;

/// <summary>
/// One headless Debian Chromium for every browser test (Playwright cannot download browsers here).
/// Each test gets its own context, so cookies and circuits never leak between tests.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath)) throw new InvalidOperationException($"{ChromiumPath} is missing: run scripts/setup-host.sh --with-tests");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        // Waits on page state (text appearing, a VM reaching a phase) poll the DOM up to this long unless told otherwise.
        Assertions.SetDefaultExpectTimeout(10_000);
    }

    /// <summary>A fresh page whose relative URLs resolve against <paramref name="baseAddress"/>.</summary>
    public async Task<IPage> NewPageAsync(Uri baseAddress)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(10_000);
        return await context.NewPageAsync();
    }

    /// <summary>A fresh page, signed in through the portal's own login form as the first-run administrator.</summary>
    public async Task<IPage> NewSignedInPageAsync(PortalProcess portal)
    {
        var page = await NewPageAsync(portal.BaseAddress);
        await page.SignInAsync(KrautPortal.Features.Auth.InitialAdmin.User, portal.AdminPassword);
        return page;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
