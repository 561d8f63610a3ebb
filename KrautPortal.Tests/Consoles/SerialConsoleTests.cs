using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Consoles;
using KrautPortal.Features.Store;
using KrautPortal.Tests.Api;
using KrautPortal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Consoles;

/// <summary>
/// The serial console of a real booted guest through the portal's WebSocket: typing and reading back, viewers sharing
/// one stream with one typist, sessions closed when a token is revoked, by an administrator or when the VM goes, the
/// per-person cap, and the audit row.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class SerialConsoleTests(ConsoleGuestPortal portal) : IClassFixture<ConsoleGuestPortal>
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(30);

    private static string Marker() => Guid.NewGuid().ToString("N")[..10];

    private async Task<ConsoleViewer> OpenAsync(HttpClient who, Guid? vm = null)
    {
        var id = vm ?? portal.VmId;
        var ticket = (string)(await ConsolePortal.TicketAsync(who, id))["ticket"]!;
        return await ConsoleViewer.OpenAsync(portal.SocketUri(id), ticket);
    }

    /// <summary>Types until the shell answers (arithmetic in the command, so the answer differs from the echoed keys).</summary>
    private static async Task ShellAsync(ConsoleViewer viewer)
    {
        var marker = Marker();
        var deadline = DateTime.UtcNow + ConsoleGuestPortal.Boot;
        while (true)
        {
            await viewer.TypeAsync($"echo ready-$((40+2))-{marker}\r");
            try
            {
                await viewer.WaitForOutputAsync($"ready-42-{marker}", TimeSpan.FromSeconds(5));
                return;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
                // the shell was not there yet
            }
        }
    }

    [Fact]
    public async Task TypedCommand_IsAnsweredOnTheConsole_AfterTheLogsTail()
    {
        await using var viewer = await OpenAsync(portal.As("alice"));
        // The log's tail comes first: the boot is in it.
        await viewer.WaitForOutputAsync("KRAUT-GUEST-BOOTED", Answer);
        await viewer.WaitForStateAsync(s => (bool)s["typing"]! && (string?)s["typist"] == "alice", "alice to be the typist");
        await ShellAsync(viewer);

        var marker = Marker();
        await viewer.TypeAsync($"echo typed-$((6*7))-{marker}\r");

        await viewer.WaitForOutputAsync($"typed-42-{marker}", Answer);
    }

    /// <summary>
    /// <c>kraut console</c> in a real terminal (tmux) on the booted guest: keys typed there reach the guest's shell, its
    /// answer appears on the terminal, and Ctrl-] gives the terminal back.
    /// </summary>
    [Fact]
    public async Task KrautConsole_InATerminal_TypesIntoTheGuestsShell_AndCtrlBracketQuits()
    {
        var config = Directory.CreateTempSubdirectory("kraut-cli-console-").FullName;
        try
        {
            using var pane = Cli.TmuxPane.Start(config, portal.BaseAddress.ToString(), TestCredentials.GodToken);
            pane.Type($"kraut console {portal.VmId}");
            var marker = Marker();
            // Typed again until the guest's shell answers (a line typed while kraut still connects, or while the log's tail
            // arrives, may go elsewhere). Only the guest lacks KRAUT_TOKEN, so only its answer says "guest".
            var deadline = DateTime.UtcNow + Answer;
            while (true)
            {
                pane.Type($"echo \"cli-$((6*7))-[${{KRAUT_TOKEN:-guest}}]-{marker}\"");
                try
                {
                    await pane.WaitForAsync($"cli-42-[guest]-{marker}", TimeSpan.FromSeconds(5));
                    break;
                }
                catch (Xunit.Sdk.TrueException) when (DateTime.UtcNow < deadline)
                {
                    // not answered yet
                }
            }
            // Ctrl-] alone, no Enter: only a terminal in raw mode hands it over at once (a line-buffered one keeps it).
            pane.Keys("C-]");
            await pane.WaitForAsync("Console closed.");
            // Only the terminal's own shell knows the portal's address: the guest's would print an empty one.
            pane.Type("echo \"remote=[$KRAUT_REMOTE]\"");
            await pane.WaitForAsync($"remote=[{portal.BaseAddress}]");
        }
        finally
        {
            Directory.Delete(config, recursive: true);
        }
    }

    [Fact]
    public async Task ASecondViewer_SeesTheOutput_ButTypesOnlyAfterTakingOver()
    {
        await using var first = await OpenAsync(portal.As("alice"));
        await ShellAsync(first);
        await using var second = await OpenAsync(portal.God);
        await second.WaitForStateAsync(s => !(bool)s["typing"]! && (string?)s["typist"] == "alice" && (int)s["viewers"]! == 2, "the second viewer told alice types");

        var dropped = Marker();
        await second.TypeAsync($"echo dropped-$((1+1))-{dropped}\r");
        var shared = Marker();
        await first.TypeAsync($"echo shared-$((2+2))-{shared}\r");
        await second.WaitForOutputAsync($"shared-4-{shared}", Answer);
        // The console is ordered: had the second viewer's keys reached the guest, their answer would be here already.
        Assert.DoesNotContain(dropped, second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(dropped, first.Output, StringComparison.Ordinal);

        await second.SendControlAsync(new JsonObject { ["op"] = "takeover" });
        await first.WaitForStateAsync(s => !(bool)s["typing"]! && (string?)s["typist"] == TestCredentials.GodActor, "alice told she no longer types");
        await second.WaitForStateAsync(s => (bool)s["typing"]!, "the second viewer typing");
        var taken = Marker();
        await second.TypeAsync($"echo taken-$((2+3))-{taken}\r");
        await first.WaitForOutputAsync($"taken-5-{taken}", Answer);
        await second.WaitForOutputAsync($"taken-5-{taken}", Answer);
        Assert.Equal(1, portal.App.Service<SerialConsoleHub>().OpenStreams);
    }

    [Fact]
    public async Task RevokingTheToken_ClosesItsConsole_SayingWhy()
    {
        var (tokenId, secret) = await portal.TokenAsync("alice", "read", ConsoleTickets.Verb);
        using var token = portal.ClientWith("Bearer " + secret);
        await using var viewer = await OpenAsync(token);
        await viewer.WaitForStateAsync(s => (int)s["viewers"]! >= 1, "the console open");

        using (var revoked = await portal.As("alice").DeleteAsync($"/api/v1/tokens/{tokenId}"))
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        Assert.Contains("revoked", await viewer.WaitClosedAsync(TimeSpan.FromSeconds(20)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATokensExpiry_ClosesItsConsole_SayingWhy()
    {
        var expires = DateTime.UtcNow.AddSeconds(15);
        var (_, secret) = await portal.TokenAsync("alice", expires, "read", ConsoleTickets.Verb);
        using var token = portal.ClientWith("Bearer " + secret);
        await using var viewer = await OpenAsync(token);
        await viewer.WaitForStateAsync(s => (int)s["viewers"]! >= 1, "the console open");

        // Nothing changes at expiry: the periodic re-check (Consoles:RecheckSeconds, 2 s here) finds it.
        var reason = await viewer.WaitClosedAsync(TimeSpan.FromSeconds(45));

        Assert.Contains("expired", reason, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow >= expires, "closed before the token expired");
    }

    [Fact]
    public async Task AnAdministrator_ListsOpenConsoles_AndClosesOne_OthersMayNot()
    {
        await using var viewer = await OpenAsync(portal.As("alice"));
        await viewer.WaitForStateAsync(s => (int)s["viewers"]! >= 1, "the console open");

        var listed = JsonNode.Parse(await portal.God.GetStringAsync("/api/v1/consoles"))!.AsArray();
        var session = listed.Single(s => (string)s!["user"]! == "alice" && (Guid)s["vmId"]! == portal.VmId)!;
        Assert.Equal("serial", (string)session["type"]!);
        Assert.Equal("htpasswd", (string)session["via"]!);
        using (var byAlice = await portal.As("alice").GetAsync("/api/v1/consoles"))
            await ApiClient.AssertProblemAsync(byAlice, HttpStatusCode.Forbidden, "Only administrators");
        using (var closeByAlice = await portal.As("alice").DeleteAsync($"/api/v1/consoles/{session["id"]}"))
            await ApiClient.AssertProblemAsync(closeByAlice, HttpStatusCode.Forbidden, "Only administrators");

        using (var closed = await portal.God.DeleteAsync($"/api/v1/consoles/{session["id"]}"))
            Assert.Equal(HttpStatusCode.NoContent, closed.StatusCode);

        Assert.Contains("An administrator", await viewer.WaitClosedAsync(TimeSpan.FromSeconds(20)), StringComparison.Ordinal);
        using var again = await portal.God.DeleteAsync($"/api/v1/consoles/{session["id"]}");
        await ApiClient.AssertProblemAsync(again, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task APerson_HasAtMostTheCapOfConsoles_TheNextIsRefusedNamingIt()
    {
        // The god token's person, so alice's consoles in other tests do not count.
        var open = new List<ConsoleViewer>();
        try
        {
            for (var i = 0; i < ConsoleGuestPortal.Cap; i++) open.Add(await OpenAsync(portal.God));
            var ticket = (string)(await ConsolePortal.TicketAsync(portal.God, portal.VmId))["ticket"]!;

            var (status, type, body) = await portal.HandshakeAsync(portal.VmId, "serial", ticket, null);

            Assert.Equal(429, status);
            Assert.Equal("application/problem+json", type);
            Assert.Contains($"Consoles:MaxPerUser = {ConsoleGuestPortal.Cap}", (string)body["detail"]!, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var viewer in open) await viewer.DisposeAsync();
        }
    }

    [Fact]
    public async Task AClosedSession_IsInTheAuditTable_WithItsDurationReasonAndBytes()
    {
        Guid sessionId;
        await using (var viewer = await OpenAsync(portal.As("alice")))
        {
            await ShellAsync(viewer);
            sessionId = portal.App.Service<ConsoleSessions>().List().Single(s => s.User == "alice").Id;
        }

        var row = await Eventually.WaitForAsync(async () =>
        {
            await using var scope = portal.App.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<KrautDbContext>().ConsoleSessions.AsNoTracking()
                .FirstOrDefaultAsync(r => r.Id == sessionId && r.ClosedAt != null);
        }, TimeSpan.FromSeconds(10), "the session's row completed");

        Assert.Equal(portal.VmId, row.VmId);
        Assert.Equal(("alice", "htpasswd", "serial"), (row.Who, row.Via, row.Type));
        Assert.True(row.ClosedAt > row.OpenedAt, $"opened {row.OpenedAt:O}, closed {row.ClosedAt:O}");
        Assert.Equal("The viewer closed the console.", row.Reason);
        Assert.True(row.BytesIn > 0 && row.BytesOut > row.BytesIn, $"in {row.BytesIn}, out {row.BytesOut}");
        Assert.Equal("127.0.0.1", row.RemoteAddress);
        // The request is in the authentication audit too, let in by its ticket (no Authorization header), as a WebSocket.
        var socketPath = ConsoleUrls.PathFor(portal.VmId, "serial");
        var events = await Eventually.WaitForAsync(async () =>
        {
            await using var scope = portal.App.Services.CreateAsyncScope();
            var rows = await scope.ServiceProvider.GetRequiredService<KrautDbContext>().AuthEvents.AsNoTracking()
                .Where(e => e.Path == socketPath && e.Who == "alice" && e.Status == 101).ToListAsync();
            return rows.Count > 0 ? rows : null;
        }, TimeSpan.FromSeconds(10), "the socket's audit entry");
        Assert.All(events, e => Assert.Equal(("allow", "console-ticket"), (e.Decision, e.Via)));
    }

    [Fact]
    public async Task TheGraphicalConsole_RelaysTheVmsVncServer()
    {
        var ticket = (string)(await ConsolePortal.TicketAsync(portal.As("alice"), portal.VmId, "vnc", portal.Origin))["ticket"]!;
        using var socket = await ConsolePortal.ConnectAsync(portal.SocketUri(portal.VmId, "vnc"), ticket, portal.Origin);
        Assert.Equal(ConsoleUrls.Protocol, socket.SubProtocol);

        // RFB starts with the server's version; the client answers with its own and is offered security types.
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(Answer);
        var version = await socket.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal(WebSocketMessageType.Binary, version.MessageType);
        Assert.StartsWith("RFB 003.", System.Text.Encoding.ASCII.GetString(buffer, 0, version.Count), StringComparison.Ordinal);
        await socket.SendAsync("RFB 003.008\n"u8.ToArray(), WebSocketMessageType.Binary, true, timeout.Token);
        var security = await socket.ReceiveAsync(buffer, timeout.Token);
        Assert.True(security.Count >= 2 && buffer[0] > 0, $"no security types offered ({security.Count} bytes, first {buffer[0]})");

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        var session = await Eventually.WaitForAsync(async () =>
        {
            await using var scope = portal.App.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<KrautDbContext>().ConsoleSessions.AsNoTracking()
                .FirstOrDefaultAsync(r => r.VmId == portal.VmId && r.Type == "vnc" && r.ClosedAt != null);
        }, TimeSpan.FromSeconds(10), "the VNC session's row completed");
        Assert.Equal(portal.Origin, session.Origin);
        Assert.Equal(12, session.BytesIn);
    }

    [Fact]
    public async Task ARemovedUsersConsole_Closes_SayingWhy()
    {
        var vm = await portal.BootAsync("dave");
        await using var viewer = await OpenAsync(portal.As("dave"), vm);
        await viewer.WaitForStateAsync(s => (int)s["viewers"]! == 1, "the console open");

        Auth.HtpasswdTool.Delete(portal.UsersFile, "dave");

        Assert.Contains("'dave' is no longer a user", await viewer.WaitClosedAsync(TimeSpan.FromSeconds(30)), StringComparison.Ordinal);
        await portal.Api.DeleteVmAsync(vm);
    }

    [Fact]
    public async Task DeletingTheVm_ClosesItsConsole_SayingSo()
    {
        var vm = await portal.BootAsync("alice");
        await using var viewer = await OpenAsync(portal.As("alice"), vm);
        await viewer.WaitForStateAsync(s => (int)s["viewers"]! == 1, "the console open");

        await portal.Api.DeleteVmAsync(vm);

        Assert.Contains("deleted", await viewer.WaitClosedAsync(TimeSpan.FromSeconds(30)), StringComparison.Ordinal);
    }
}
