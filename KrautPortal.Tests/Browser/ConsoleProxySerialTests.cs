using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KrautPortal.Features.Auth;
using KrautPortal.Tests.Support;
using KrautPortal.Tests.Web;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KrautPortal.Tests.Browser;

/// <summary>
/// A booted guest's serial console through a real nginx under /kraut: it outlives nginx's 60 s read timeout while
/// nobody types (the portal's keep-alive pings), and the ticket never reaches the proxy's access log.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleProxySerialTests(BrowserFixture browser, ProxiedConsoleGuest site) : IClassFixture<ProxiedConsoleGuest>
{
    /// <summary>Half again nginx's proxy_read_timeout (60 s): without pings the proxy would have cut the socket.</summary>
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ThroughNginx_ASerialConsoleLeftIdleFor90s_StillRunsATypedCommand_AndTheTicketIsNeverLogged()
    {
        var page = await browser.NewPageAsync(site.PublicAddress);
        // The page's script hands the ticket to the WebSocket as a subprotocol; remember what it offered.
        await page.AddInitScriptAsync("""
            (() => {
              const Real = window.WebSocket;
              window.__krautOffered = [];
              window.WebSocket = function (url, protocols) { window.__krautOffered.push([].concat(protocols || [])); return new Real(url, protocols); };
              window.WebSocket.prototype = Real.prototype;
              Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
            })();
            """);
        var consoleSockets = new List<IWebSocket>();
        var closed = new List<string>();
        page.WebSocket += (_, s) =>
        {
            if (!s.Url.Contains("/console/", StringComparison.Ordinal)) return;
            lock (consoleSockets) consoleSockets.Add(s);
            s.Close += (_, _) => { lock (closed) closed.Add(s.Url); };
        };
        await page.SignInAsync(InitialAdmin.User, site.Portal.AdminPassword);
        await page.GotoInteractiveAsync($"vms/{site.VmId}");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Console" }).ClickAsync();
        await page.TestId("console-open-serial").ClickAsync();
        await Expect(page.TestId("console-status")).ToHaveTextAsync(new Regex("^Connected: you type"), new() { Timeout = 20_000 });
        lock (consoleSockets)
            Assert.Equal($"ws://127.0.0.1:{site.Nginx.Port}/kraut/api/v1/vms/{site.VmId}/console/serial", Assert.Single(consoleSockets).Url);

        // The point of the test: nothing crosses the socket but the portal's pings for longer than nginx waits.
        await Task.Delay(Idle);

        lock (closed) Assert.Empty(closed);
        await Expect(page.TestId("console-status")).ToHaveTextAsync(new Regex("^Connected: you type"));
        var marker = Guid.NewGuid().ToString("N")[..10];
        await page.FocusTerminalAsync();
        await page.Keyboard.TypeAsync($"echo proxied-$((40+2))-{marker}");
        await page.Keyboard.PressAsync("Enter");
        await Eventually.WaitUntilAsync(async () => (await TerminalTextAsync(page)).Contains($"proxied-42-{marker}", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the shell's answer in the terminal, through nginx");
        // Still the first socket: the page did not quietly reconnect with a fresh ticket after a cut.
        lock (consoleSockets) Assert.Single(consoleSockets);
        lock (closed) Assert.Empty(closed);

        var offered = await page.EvaluateAsync<string[][]>("() => window.__krautOffered");
        var ticket = Assert.Single(offered.SelectMany(p => p), p => p.StartsWith("kraut.ticket.", StringComparison.Ordinal))["kraut.ticket.".Length..];
        await page.Context.CloseAsync();
        // nginx logs a WebSocket when it ends.
        var socketLine = new Regex($@"""GET /kraut/api/v1/vms/{site.VmId}/console/serial HTTP/1\.1"" 101 ");
        await Eventually.WaitUntilAsync(() => socketLine.IsMatch(site.Nginx.AccessLog), TimeSpan.FromSeconds(10), "nginx's access log line of the console socket");
        Assert.DoesNotContain(ticket, site.Nginx.AccessLog, StringComparison.Ordinal);
        Assert.DoesNotContain("timed out", site.Nginx.ErrorLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATicketAskedForBehindATlsProxy_NamesAWssUrlUnderThePrefix()
    {
        using var client = site.Portal.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"kraut/api/v1/vms/{site.VmId}/console") { Content = JsonContent.Create(new { type = "serial" }) };
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "kraut.example.org");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal($"wss://kraut.example.org/kraut/api/v1/vms/{site.VmId}/console/serial", (string?)body!["url"]);
    }

    private static Task<string> TerminalTextAsync(IPage page) =>
        page.TestId("console-view").EvaluateAsync<string>("el => el.krautConsole ? el.krautConsole.text() : ''");
}

/// <summary>A real portal with one booted test guest (a shell on its serial port), published by nginx under /kraut.</summary>
public sealed class ProxiedConsoleGuest() : PathBasePortal(TestSupport.TestHosts.System, TestSupport.SeedImages.Guest)
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);

    public Guid VmId { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var api = new KrautApi(Portal.CreateClient());
        VmId = await api.CreateVmAsync($"proxied-console-{Guid.NewGuid().ToString("N")[..6]}");
        await api.WaitForPhaseAsync(VmId, "running", Boot);
        // The shells start after the ready line: the serial console has someone to talk to.
        await TestSupport.GuestConsole.WaitForReadyAsync(Portal.ConsoleFor(VmId), Boot);
    }
}
