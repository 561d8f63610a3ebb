using System.Text.Json;
using System.Text.RegularExpressions;
using KrautPortal.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Browser;

/// <summary>
/// A VM's consoles in Chromium against a real portal process and a booted test guest (root shells on ttyS0 and tty1):
/// the serial console answers a typed command, the screen shows the guest's display and changes when keys are typed,
/// and an administrator sees the open session and closes it.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleBrowserTests(BrowserFixture browser, ConsoleGuest guest) : IClassFixture<ConsoleGuest>
{
    private static readonly TimeSpan Screen = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SerialConsole_RunsATypedCommand_AndShowsItsAnswer()
    {
        var page = await OpenConsoleTabAsync();
        await page.TestId("console-open-serial").ClickAsync();
        // The only viewer types without asking.
        await Expect(page.TestId("console-status")).ToHaveTextAsync(new Regex("^Connected: you type"), new() { Timeout = 20_000 });

        // The shell computes part of the answer, so the echoed command line alone never matches it.
        var marker = Guid.NewGuid().ToString("N")[..10];
        await page.TestId("console-view").Locator(".xterm").ClickAsync();
        await page.Keyboard.TypeAsync($"echo kraut-$((40+2))-{marker}");
        await page.Keyboard.PressAsync("Enter");
        await Eventually.WaitUntilAsync(async () => (await TerminalTextAsync(page)).Contains($"kraut-42-{marker}", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the shell's answer in the terminal");
        await Expect(page.TestId("console-view").Locator(".xterm-rows")).ToContainTextAsync($"kraut-42-{marker}");

        // "Type text" sends a pasted line as keystrokes, Enter included.
        var typed = Guid.NewGuid().ToString("N")[..10];
        await page.TestId("console-type-text").Locator("textarea").First.FillAsync($"echo typed-$((6*7))-{typed}\n");
        await page.TestId("console-type-send").ClickAsync();
        await Eventually.WaitUntilAsync(async () => (await TerminalTextAsync(page)).Contains($"typed-42-{typed}", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the typed text's answer in the terminal");
        await page.ScreenshotToAsync("vm-serial-console.png");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Screen_ShowsTheGuestsDisplay_AndChangesWhenKeysAreTyped()
    {
        var page = await OpenConsoleTabAsync();
        await page.TestId("console-open-screen").ClickAsync();
        await Expect(page.TestId("console-status")).ToHaveTextAsync("Connected.", new() { Timeout = 20_000 });
        var canvas = page.TestId("console-view").Locator("canvas");
        await Expect(canvas).ToBeVisibleAsync();

        // Not blank: the text console draws characters, so many pixels differ from the background.
        var before = await Eventually.WaitForAsync(async () => await FramebufferAsync(canvas) is { Lit: > 500 } f ? f : null,
            Screen, "a framebuffer with something drawn on it");
        await canvas.ScreenshotAsync();

        // Keys typed on the canvas reach tty1's shell (QEMU's extended key events), which echoes them.
        await canvas.ClickAsync();
        await page.Keyboard.TypeAsync("echo kraut screen");
        await page.Keyboard.PressAsync("Enter");
        var after = await Eventually.WaitForAsync(async () => await FramebufferAsync(canvas) is { } f && f.Hash != before.Hash && f.Lit > before.Lit ? f : null,
            Screen, "the framebuffer to change after typing");
        Assert.NotEqual(before.Hash, after.Hash);
        await page.ScreenshotToAsync("vm-screen-console.png");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AnAdministrator_SeesTheOpenConsole_AndClosingItTellsTheViewerWhy()
    {
        var page = await OpenConsoleTabAsync();
        await page.TestId("console-open-serial").ClickAsync();
        await Expect(page.TestId("console-status")).ToHaveTextAsync(new Regex("^Connected"), new() { Timeout = 20_000 });

        var admin = await browser.NewSignedInPageAsync(guest.Portal);
        await admin.GotoInteractiveAsync("admin/consoles");
        var row = admin.TestId("console-session-row").Filter(new() { HasTextString = guest.VmName });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("Serial");
        await Expect(row).ToContainTextAsync(guest.Portal.BaseAddress.GetLeftPart(UriPartial.Authority));
        await row.GetByTestId("console-session-close").ClickAsync();
        var dialog = admin.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Close this console?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close it" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        await Expect(admin.TestId("console-session-log")).ToContainTextAsync("closed by the administrator");

        // The viewer is told, and the page does not reconnect behind the administrator's back.
        await Expect(page.TestId("console-status")).ToContainTextAsync("administrator", new() { Timeout = 20_000 });
        await admin.Context.CloseAsync();
        await page.Context.CloseAsync();
    }

    private async Task<IPage> OpenConsoleTabAsync()
    {
        var page = await browser.NewSignedInPageAsync(guest.Portal);
        await page.GotoInteractiveAsync($"vms/{guest.VmId}");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync(guest.VmName);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Console" }).ClickAsync();
        return page;
    }

    private static Task<string> TerminalTextAsync(IPage page) =>
        page.TestId("console-view").EvaluateAsync<string>("el => el.krautConsole ? el.krautConsole.text() : ''");

    /// <summary>How many pixels differ from the top-left one, and a hash of all of them, read from noVNC's canvas.</summary>
    private static async Task<Framebuffer?> FramebufferAsync(ILocator canvas)
    {
        var result = await canvas.EvaluateAsync<JsonElement>("""
            c => {
              if (!c.width || !c.height) return null;
              const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              let lit = 0, hash = 2166136261;
              for (let i = 0; i < d.length; i += 4) {
                if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) lit++;
                hash = Math.imul(hash ^ (d[i] | d[i + 1] << 8 | d[i + 2] << 16), 16777619) >>> 0;
              }
              return { lit, hash };
            }
            """);
        return result.ValueKind == JsonValueKind.Null ? null : new Framebuffer(result.GetProperty("lit").GetInt32(), result.GetProperty("hash").GetUInt32());
    }

    private sealed record Framebuffer(int Lit, uint Hash);
}

/// <summary>One portal process with one booted test guest, shared by the console browser tests.</summary>
public sealed class ConsoleGuest : IAsyncLifetime
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);

    public PortalProcess Portal { get; } = new();
    public string VmName { get; } = $"console-{Guid.NewGuid().ToString("N")[..6]}";
    public Guid VmId { get; private set; }

    public async Task InitializeAsync()
    {
        await Portal.StartAsync();
        var api = new KrautApi(Portal.CreateClient());
        VmId = await api.CreateVmAsync(VmName);
        await api.WaitForPhaseAsync(VmId, "running", Boot);
        // The shells start after the ready line: the serial console has someone to talk to.
        await GuestConsole.WaitForReadyAsync(Portal.ConsoleFor(VmId), Boot);
    }

    // Stopping the portal removes its instance's domain, disk and network from libvirt.
    public Task DisposeAsync() => Portal.DisposeAsync().AsTask();
}
