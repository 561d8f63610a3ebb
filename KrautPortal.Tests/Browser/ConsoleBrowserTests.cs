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
public sealed class ConsoleBrowserTests(BrowserFixture browser, ConsoleGuest guest) : IClassFixture<ConsoleGuest>, IAsyncLifetime
{
    // Pages close after each test, failed or not: an open console would be another session on the shared VM.
    private readonly List<IPage> _pages = [];

    private static readonly TimeSpan Screen = TimeSpan.FromSeconds(60);

    /// <summary>Pixels a typed line changes at least (a 9×16 glyph lights ~40); a blinking cursor changes ~20.</summary>
    private const int ChangedByTyping = 1000;

    [Fact]
    public async Task SerialConsole_RunsATypedCommand_AndShowsItsAnswer()
    {
        var page = await OpenConsoleTabAsync();
        await page.TestId("console-open-serial").ClickAsync();
        // The only viewer types without asking.
        await Expect(page.TestId("console-status")).ToHaveTextAsync(new Regex("^Connected: you type"), new() { Timeout = 20_000 });

        // The shell computes part of the answer, so the echoed command line alone never matches it.
        var marker = Guid.NewGuid().ToString("N")[..10];
        await page.FocusTerminalAsync();
        await page.Keyboard.TypeAsync($"echo kraut-$((40+2))-{marker}");
        await page.Keyboard.PressAsync("Enter");
        await Eventually.WaitUntilAsync(async () => (await TerminalTextAsync(page)).Contains($"kraut-42-{marker}", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the shell's answer in the terminal");
        await Expect(page.TestId("console-view").Locator(".xterm-rows")).ToContainTextAsync($"kraut-42-{marker}");

        // "Type text" sends a pasted line as keystrokes, Enter included.
        var typed = Guid.NewGuid().ToString("N")[..10];
        await page.TestId("console-type-text").FillAsync($"echo typed-$((6*7))-{typed}\n");
        await page.TestId("console-type-send").ClickAsync();
        await Eventually.WaitUntilAsync(async () => (await TerminalTextAsync(page)).Contains($"typed-42-{typed}", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the typed text's answer in the terminal");
        await page.ScreenshotToAsync("vm-serial-console.png");
    }

    [Fact]
    public async Task ASecondViewer_WatchesUntilTakingOver_ThenTheirKeysReachTheShell()
    {
        var first = await OpenConsoleTabAsync();
        await first.TestId("console-open-serial").ClickAsync();
        await Expect(first.TestId("console-status")).ToHaveTextAsync(new Regex("^Connected: you type"), new() { Timeout = 20_000 });

        // The second viewer sees who types and is offered the keyboard; the first sees the audience grow.
        var second = await OpenConsoleTabAsync();
        await second.TestId("console-open-serial").ClickAsync();
        await Expect(second.TestId("console-status")).ToHaveTextAsync(new Regex("^Connected: .+ types, you watch \\(2 viewers\\)"), new() { Timeout = 20_000 });
        await Expect(first.TestId("console-status")).ToHaveTextAsync("Connected: you type (2 viewers).");

        await second.TestId("console-take-over").ClickAsync();
        await Expect(second.TestId("console-status")).ToHaveTextAsync("Connected: you type (2 viewers).");
        await Expect(first.TestId("console-status")).ToHaveTextAsync(new Regex("^Connected: .+ types, you watch"));
        await Expect(first.TestId("console-take-over")).ToBeVisibleAsync();

        // Both watch the new typist's command and its answer.
        var marker = Guid.NewGuid().ToString("N")[..10];
        await second.FocusTerminalAsync();
        await second.Keyboard.TypeAsync($"echo taken-$((40+2))-{marker}");
        await second.Keyboard.PressAsync("Enter");
        foreach (var page in (IPage[])[second, first])
            await Eventually.WaitUntilAsync(async () => (await TerminalTextAsync(page)).Contains($"taken-42-{marker}", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), "the new typist's answer in both terminals");
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
        await Eventually.WaitUntilAsync(async () => await LitPixelsAsync(canvas) > 500, Screen, "a framebuffer with something drawn on it");
        await canvas.ScreenshotAsync();

        // Keys typed on the canvas reach tty1's shell (QEMU's extended key events), which echoes them and answers. A
        // blinking cursor changes a few dozen pixels; a typed line and its answer (and the scroll) change thousands.
        await SnapshotAsync(canvas, "before-keys");
        await canvas.ClickAsync();
        await page.Keyboard.TypeAsync("echo kraut screen");
        await page.Keyboard.PressAsync("Enter");
        await Eventually.WaitUntilAsync(async () => await ChangedPixelsAsync(canvas, "before-keys") > ChangedByTyping, Screen, "the framebuffer to change after typing");

        // "Type text" types a pasted line as key presses (keysyms): the screen changes again.
        await SnapshotAsync(canvas, "before-text");
        await page.TestId("console-type-text").FillAsync("echo typed text\n");
        await page.TestId("console-type-send").ClickAsync();
        await Eventually.WaitUntilAsync(async () => await ChangedPixelsAsync(canvas, "before-text") > ChangedByTyping, Screen, "the framebuffer to change after Type text");
        await page.ScreenshotToAsync("vm-screen-console.png");
    }

    [Fact]
    public async Task AnAdministrator_SeesTheOpenConsole_AndClosingItTellsTheViewerWhy()
    {
        var page = await OpenConsoleTabAsync();
        await page.TestId("console-open-screen").ClickAsync();
        await Expect(page.TestId("console-status")).ToHaveTextAsync("Connected.", new() { Timeout = 20_000 });

        var admin = await browser.NewSignedInPageAsync(guest.Portal);
        _pages.Add(admin);
        await admin.GotoInteractiveAsync("admin/consoles");
        var row = admin.TestId("console-session-row").Filter(new() { HasTextString = guest.VmName });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("Screen");
        await Expect(row).ToContainTextAsync(guest.Portal.BaseAddress.GetLeftPart(UriPartial.Authority));
        await row.GetByTestId("console-session-close").ClickAsync();
        var dialog = admin.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Close this console?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close it" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        await Expect(admin.TestId("console-session-log")).ToContainTextAsync("closed by the administrator");

        // The viewer is told why (the close frame's reason), instead of a silent reconnect.
        await Expect(page.TestId("console-status")).ToContainTextAsync("administrator", new() { Timeout = 20_000 });
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var page in _pages) await page.Context.CloseAsync();
    }

    private async Task<IPage> OpenConsoleTabAsync()
    {
        var page = await browser.NewSignedInPageAsync(guest.Portal);
        _pages.Add(page);
        await page.GotoInteractiveAsync($"vms/{guest.VmId}");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync(guest.VmName);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Console" }).ClickAsync();
        // The tab has rendered its log: its buttons are the circuit's now.
        await Expect(page.TestId("console-log")).ToBeVisibleAsync();
        return page;
    }

    private static Task<string> TerminalTextAsync(IPage page) =>
        page.TestId("console-view").EvaluateAsync<string>("el => el.krautConsole ? el.krautConsole.text() : ''");

    /// <summary>How many pixels of noVNC's canvas differ from the top-left one (the background).</summary>
    private static Task<int> LitPixelsAsync(ILocator canvas) => canvas.EvaluateAsync<int>("""
        c => {
          if (!c.width || !c.height) return 0;
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let lit = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) lit++;
          return lit;
        }
        """);

    /// <summary>Keeps the canvas's pixels under <paramref name="name"/> in the page, to compare later.</summary>
    private static async Task SnapshotAsync(ILocator canvas, string name) => await canvas.EvaluateAsync($$"""
        c => { (window.__krautFrames ??= {})['{{name}}'] = c.getContext('2d').getImageData(0, 0, c.width, c.height); }
        """);

    /// <summary>How many pixels differ from the snapshot <paramref name="name"/> (all of them when the size changed).</summary>
    private static Task<int> ChangedPixelsAsync(ILocator canvas, string name) => canvas.EvaluateAsync<int>($$"""
        c => {
          const before = window.__krautFrames['{{name}}'];
          const now = c.getContext('2d').getImageData(0, 0, c.width, c.height);
          if (before.width !== now.width || before.height !== now.height) return now.width * now.height;
          let changed = 0;
          for (let i = 0; i < now.data.length; i += 4)
            if (now.data[i] !== before.data[i] || now.data[i + 1] !== before.data[i + 1] || now.data[i + 2] !== before.data[i + 2]) changed++;
          return changed;
        }
        """);
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
