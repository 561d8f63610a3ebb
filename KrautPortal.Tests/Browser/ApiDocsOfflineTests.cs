using System.Collections.Concurrent;
using KrautPortal.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Browser;

/// <summary>/api/docs in Chromium on a machine without the internet: everything it loads comes from the portal.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ApiDocsOfflineTests(BrowserFixture browser)
{
    [Fact]
    public async Task ApiDocs_RendersTheApi_AndRequestsNothingFromAnotherHost()
    {
        await using var portal = new PortalProcess(KrautAppFactory.TestDriver, "blank");
        await portal.StartAsync();
        var page = await browser.NewPageAsync(portal.BaseAddress);
        var elsewhere = new ConcurrentQueue<string>();
        // As offline: every request to another host is recorded and fails at once.
        await page.Context.RouteAsync("**/*", async route =>
        {
            var url = new Uri(route.Request.Url);
            if (url.Scheme is "http" or "https" && url.Authority != portal.BaseAddress.Authority)
            {
                elsewhere.Enqueue(route.Request.Url);
                await route.AbortAsync();
                return;
            }
            await route.ContinueAsync();
        });

        await page.GotoAsync("api/docs");
        await Expect(page.GetByText("Kraut Computing API").First).ToBeVisibleAsync();
        // The document's description: the page fetched /openapi/v1.json and rendered it.
        await Expect(page.GetByText("Every object is a versioned JSON record").First).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        Assert.True(elsewhere.IsEmpty, "loaded from the internet: " + string.Join(", ", elsewhere));
    }
}
