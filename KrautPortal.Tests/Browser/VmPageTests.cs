using System.Net.Http.Json;
using System.Text.Json;
using KrautPortal.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Browser;

/// <summary>The VM page in a real browser (libvirt's test driver): power buttons that fit the state, and a revert that says what it does.</summary>
[Collection(BrowserCollection.Name)]
public sealed class VmPageTests(BrowserFixture browser, TestDriverPortal app) : IClassFixture<TestDriverPortal>
{
    [Fact]
    public async Task PowerButtonsFitTheState_AndTheRevertDialogSaysTheVmStopsAndItsNicGoes()
    {
        var name = $"vmpage-{Guid.NewGuid().ToString("N")[..6]}";
        var id = await app.Api.CreateVmAsync(name);                                            // v1: running
        await app.Api.WaitForPhaseAsync(id, "running", TimeSpan.FromSeconds(30));
        await app.Api.ActAsync(id, "stop");                                                     // v2: stopped
        await app.Api.WaitForPhaseAsync(id, "stopped", TimeSpan.FromSeconds(30));
        await app.Api.ActAsync(id, "start");                                                    // v3: running
        var network = await app.Api.IdOfAsync("networks", "default");
        var response = await app.Api.Http.PostAsJsonAsync($"/api/v1/vms/{id}/nics", new { networkId = network });   // v4: a second NIC
        response.EnsureSuccessStatusCode();
        var mac = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("mac").GetString()!;
        await app.Api.WaitForPhaseAsync(id, "running", TimeSpan.FromSeconds(30));

        var page = await browser.NewSignedInPageAsync(app.Portal);
        await page.GotoInteractiveAsync($"vms/{id}");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync(name);

        // Running: stop, reboot and force off; start makes no sense.
        await Expect(page.TestId("vm-phase")).ToHaveTextAsync("running");
        await Expect(page.TestId("action-start")).ToBeDisabledAsync();
        await Expect(page.TestId("action-stop")).ToBeEnabledAsync();
        await Expect(page.TestId("action-reboot")).ToBeEnabledAsync();
        await Expect(page.TestId("action-force-off")).ToBeEnabledAsync();

        // Revert to v2: the dialog shows the diff and says in words that the VM stops and the new NIC goes.
        await page.GetByRole(AriaRole.Tab, new() { Name = "History" }).ClickAsync();
        await Expect(page.GetByText("Version 3 → version 4")).ToBeVisibleAsync();
        await page.TestId("revert-2").ClickAsync();
        var dialog = page.TestId("revert-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        var warnings = dialog.GetByTestId("revert-warning");
        await Expect(warnings.Filter(new() { HasTextString = "The VM will be stopped" })).ToHaveCountAsync(1);
        await Expect(warnings.Filter(new() { HasTextString = $"NIC {mac} on network default will be removed" })).ToHaveCountAsync(1);
        await Expect(dialog).Not.ToContainTextAsync("Nothing is lost");
        await Expect(dialog.GetByTestId("diff-left").Locator(".changed", new() { HasTextString = "\"power\": \"running\"" })).ToBeVisibleAsync();
        await Expect(dialog.GetByTestId("diff-right").Locator(".changed", new() { HasTextString = "\"power\": \"stopped\"" })).ToBeVisibleAsync();
        await page.ScreenshotToAsync("vm-revert-dialog.png");
        await page.TestId("revert-confirm").ClickAsync();

        // The diff pane now compares the revert with the version before it; the VM stopped, and only start is offered.
        await Expect(page.GetByText("Version 4 → version 5")).ToBeVisibleAsync();
        await Expect(page.TestId("vm-phase")).ToHaveTextAsync("stopped");
        await Expect(page.TestId("action-start")).ToBeEnabledAsync();
        await Expect(page.TestId("action-stop")).ToBeDisabledAsync();
        await Expect(page.TestId("action-reboot")).ToBeDisabledAsync();
        await Expect(page.TestId("action-force-off")).ToBeDisabledAsync();

        // Start: the announcement is replaced by the state reached, not left behind saying "Starting…".
        await page.TestId("action-start").ClickAsync();
        await Expect(page.TestId("vm-phase")).ToHaveTextAsync("running");
        await Expect(page.Locator(".mud-snackbar", new() { HasTextString = $"{name} is running." })).ToBeVisibleAsync();
        await Expect(page.Locator(".mud-snackbar", new() { HasTextString = "Starting" })).ToHaveCountAsync(0);
        await Expect(page.TestId("action-start")).ToBeDisabledAsync();
        await page.ScreenshotToAsync("vm-page-running.png");
        await app.Api.DeleteVmAsync(id);
    }
}
