using System.Diagnostics;
using System.Text.RegularExpressions;
using KrautPortal.Hypervisor;
using KrautPortal.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Browser;

/// <summary>The main journey in a real browser, against a real portal process on qemu:///system with a real guest.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class VmJourneyTests(BrowserFixture browser)
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task CreateWatchBootAndDelete_AVmThroughThePortal()
    {
        await using var portal = new PortalProcess();
        await portal.StartAsync();
        var page = await browser.NewSignedInPageAsync(portal);

        // An empty list invites the first VM.
        await page.GotoInteractiveAsync("vms");
        await Expect(page.TestId("empty-state")).ToContainTextAsync("No VMs yet");
        await page.MarkDocumentAsync();
        await page.TestId("create-vm").ClickAsync();
        await Expect(page.Locator("#page-title")).ToHaveTextAsync("Create a VM");

        // Image: the only one is chosen already. Networks: default is ticked.
        await Expect(page.TestId("image-option")).ToBeCheckedAsync();
        await NextAsync(page);
        await Expect(page.TestId("network-option")).ToBeCheckedAsync();
        await NextAsync(page);

        // Machine type "small", by keyboard.
        var small = page.Locator("label.mud-radio").Filter(new() { Has = page.Locator("b", new() { HasTextString = "small" }) }).Locator("input");
        await small.FocusAsync();
        await page.Keyboard.PressAsync("Space");
        await Expect(small).ToBeCheckedAsync();
        await NextAsync(page);

        // Parameters: memory 256, typed.
        var memory = page.TestId("param-memory");
        await memory.FillAsync("256");
        await memory.PressAsync("Tab");
        await Expect(memory).ToHaveValueAsync("256");
        await NextAsync(page);

        // Name and one metadata key.
        var name = page.TestId("vm-name");
        await name.FocusAsync();
        await page.Keyboard.TypeAsync("web-1");
        await page.TestId("metadata-add").ClickAsync();
        await page.TestId("metadata-key").FillAsync("env");
        await page.TestId("metadata-value").FillAsync("test");
        await page.Keyboard.PressAsync("Tab");
        await NextAsync(page);

        // Review: exactly this, and the same as an API request.
        var review = page.TestId("review");
        await Expect(review).ToContainTextAsync("web-1");
        await Expect(review).ToContainTextAsync("kraut-test-guest");
        await Expect(review).ToContainTextAsync("small");
        await Expect(review).ToContainTextAsync("1 vCPU · 256 MiB");
        await Expect(review).ToContainTextAsync("env=test");
        await page.GetByText("The same request through the API").ClickAsync();
        await Expect(page.TestId("review-json")).ToContainTextAsync("\"memoryMiB\": 256");
        await Expect(page.Locator(".mud-collapse-entered")).ToBeVisibleAsync();
        await page.ScreenshotToAsync("create-vm-review.png");

        await page.Locator(".mud-stepper-actions button").Last.ClickAsync();

        // The progress panel follows the phase live until the VM runs.
        var progress = page.TestId("create-progress");
        await Expect(progress).ToBeVisibleAsync();
        await Expect(progress.GetByTestId("vm-phase")).ToHaveTextAsync(new Regex("^(pending|creating|starting|running)$"));
        var vmHref = await page.TestId("open-vm").GetAttributeAsync("href");
        var vmId = Guid.Parse(vmHref!.Split('/')[^1]);

        // The list shows web-1 reach running by itself.
        await page.GetByRole(AriaRole.Link, new() { Name = "All VMs" }).ClickAsync();
        var row = page.TestId("resource-table").Locator("tr", new() { Has = page.GetByText("web-1", new() { Exact = true }) });
        await Expect(row.GetByTestId("vm-phase")).ToHaveTextAsync("running", new() { Timeout = (float)Boot.TotalMilliseconds });
        await page.AssertNotReloadedAsync();
        await page.ScreenshotToAsync("vm-list.png");

        // The guest really boots: its serial console says so, and DHCP gives it an address.
        await row.GetByTestId("vm-link").ClickAsync();
        await Expect(page.Locator("#page-title")).ToHaveTextAsync("web-1");
        // Clicked until it is the selected tab: on a loaded machine (a full run with builds beside it) one click was seen to
        // leave Overview selected (lost, most likely, as a live refresh re-rendered the tab bar), and the console was never shown.
        var consoleTab = page.GetByRole(AriaRole.Tab, new() { Name = "Console" });
        await Eventually.WaitUntilAsync(async () =>
        {
            if (await consoleTab.GetAttributeAsync("aria-selected") == "true") return true;
            await consoleTab.ClickAsync();
            return false;
        }, TimeSpan.FromSeconds(30), "the Console tab to be selected");
        await Expect(page.TestId("console-log")).ToContainTextAsync(TestGuest.ReadyMarker, new() { Timeout = (float)Boot.TotalMilliseconds });
        await page.GetByRole(AriaRole.Tab, new() { Name = "Overview" }).ClickAsync();
        await Expect(page.TestId("vm-addresses")).ToHaveTextAsync(Ipv4(), new() { Timeout = (float)Boot.TotalMilliseconds });
        await page.AssertNotReloadedAsync();

        // Delete after confirming; the list is empty again.
        await page.TestId("action-delete").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Delete web-1?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(page.TestId("gone")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to the list" }).ClickAsync();
        await Expect(page.TestId("empty-state")).ToBeVisibleAsync();
        await page.AssertNotReloadedAsync();

        // Nothing of this instance is left in libvirt or on disk.
        Assert.DoesNotContain(VmBuilderDomainName(vmId), Virsh("list", "--all", "--name"));
        var instance = portal.InstanceId()!;
        using (var connection = LibvirtConnection.Open(KrautAppFactory.SystemDriver))
        {
            var ours = connection.ListAllDomains().Where(d =>
            {
                using (d) return d.GetKrautMetadata()?.InstanceId == instance;
            }).ToList();
            Assert.Empty(ours);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(portal.DataDirectory, "disks")));
    }

    private static Task NextAsync(IPage page) => page.Locator(".mud-stepper-actions button").Last.ClickAsync();

    private static string VmBuilderDomainName(Guid vmId) => Features.Vms.VmBuilder.DomainName(vmId);

    private static string Virsh(params string[] args)
    {
        var start = new ProcessStartInfo("virsh") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-c", KrautAppFactory.SystemDriver, .. args]) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"virsh {string.Join(' ', args)} failed: {process.StandardError.ReadToEnd()}");
        return output;
    }

    [GeneratedRegex(@"^\d+\.\d+\.\d+\.\d+")]
    private static partial Regex Ipv4();
}
