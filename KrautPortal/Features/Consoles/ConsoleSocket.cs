using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using KrautPortal.Features.Api;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;

namespace KrautPortal.Features.Consoles;

/// <summary>
/// <c>GET /api/v1/vms/{id}/console/{type}</c>, upgraded: the ticket comes as the subprotocol <c>kraut.ticket.&lt;t&gt;</c>
/// (never in the URL, so no proxy logs it). Before accepting: the Origin must be the ticket's (403), the ticket unused,
/// unexpired and for this console (401), the VM still the actor's and running (404/409), the person under the cap (429).
/// </summary>
public static class ConsoleSocket
{
    /// <summary>Pings keep idle proxies (nginx cuts after 60 s of silence by default) from ending a quiet console.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(20);

    private const string Via = "console-ticket";

    public static async Task ServeAsync(HttpContext http)
    {
        var request = http.Request;
        var vmId = ApiIds.Parse(request.RouteValues["id"] as string ?? "");
        var type = ConsoleTypes.Parse(request.RouteValues["type"] as string, "the path's console type");
        var services = http.RequestServices;
        var audit = services.GetRequiredService<AuthAudit>();
        if (!http.WebSockets.IsWebSocketRequest)
            throw new BadRequestException("WebSocket required", "This is a console's WebSocket: connect with a WebSocket client, offering its ticket as a subprotocol.");

        var offered = http.WebSockets.WebSocketRequestedProtocols;
        var secret = offered.FirstOrDefault(p => p.StartsWith(ConsoleUrls.TicketPrefix, StringComparison.Ordinal))?[ConsoleUrls.TicketPrefix.Length..];
        var origin = request.Headers.Origin.Count > 0 ? request.Headers.Origin.ToString() : null;
        var (ticket, refusal) = services.GetRequiredService<ConsoleTicketStore>().Redeem(secret, vmId, type, origin);
        if (refusal is not null)
        {
            audit.Attribute(http, new AuthDecision(new AuthResult.Deny(refusal.Detail), Via));
            await Problems.Result(Problems.Of(refusal.Status, refusal.Title, refusal.Detail)).ExecuteAsync(http);
            return;
        }
        var actor = ticket!.Actor;
        audit.Attribute(http, new AuthDecision(new AuthResult.Allow(actor), Via));

        // The ticket is up to 30 s old: the VM is checked again as its actor (still theirs, still running).
        Resource<VmSpec, VmStatus> vm;
        await using (var scope = services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<RequestActorAccessor>().CircuitActor = actor;
            vm = await scope.ServiceProvider.GetRequiredService<ResourceService<VmSpec, VmStatus>>().GetAsync(vmId, http.RequestAborted);
            ConsoleTickets.Check(vm, actor, type);
        }

        var sessions = services.GetRequiredService<ConsoleSessions>();
        var session = await sessions.OpenAsync(ticket, vm.Name, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
        try
        {
            using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                SubProtocol = offered.Contains(ConsoleUrls.Protocol) ? ConsoleUrls.Protocol : null,
                KeepAliveInterval = KeepAlive,
            });
            var ct = http.RequestAborted;
            if (type == ConsoleTypes.Serial)
                await services.GetRequiredService<SerialConsoleHub>().RunAsync(session, socket, vm.Status.Host!, ct);
            else
                await services.GetRequiredService<VncRelay>().RunAsync(session, socket, ct);
            // Ended before its pumps ran (the console could not be opened): the client is still told why.
            if (socket.State == WebSocketState.Open) await FinishAsync(socket, session, Task.CompletedTask, Task.CompletedTask);
        }
        finally
        {
            await sessions.EndAsync(session, session.CloseReason ?? "The connection ended.");
        }
    }

    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Ends a session's socket once its pumps were told to stop: waits for the sending one (a client that reads nothing
    /// gets <see cref="Grace"/>, then the socket is aborted), tells the client why (a <c>closed</c> message on the serial
    /// console, the close frame's reason on both), and waits for its answering close frame, which ends the receiving one.
    /// </summary>
    public static async Task FinishAsync(WebSocket socket, ConsoleSession session, Task sending, Task receiving)
    {
        if (!await EndsWithinAsync(sending, Grace)) socket.Abort();
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            var reason = session.CloseReason ?? "The console ended.";
            using var timeout = new CancellationTokenSource(Grace);
            try
            {
                if (session.Type == ConsoleTypes.Serial && socket.State == WebSocketState.Open)
                    await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(new { op = "closed", reason }), WebSocketMessageType.Text, true, timeout.Token);
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, Shorten(reason), timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // the client went first
            }
        }
        if (!await EndsWithinAsync(receiving, Grace)) socket.Abort();
    }

    /// <summary>Whether <paramref name="task"/> ended (however) within <paramref name="time"/>.</summary>
    private static async Task<bool> EndsWithinAsync(Task task, TimeSpan time)
    {
        try
        {
            await task.WaitAsync(time);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (Exception)
        {
            // A pump that failed (the peer vanished) has ended too.
            return true;
        }
    }

    /// <summary>A close frame's reason is at most 123 bytes of UTF-8.</summary>
    private static string Shorten(string reason)
    {
        if (Encoding.UTF8.GetByteCount(reason) <= 123) return reason;
        var cut = reason;
        while (Encoding.UTF8.GetByteCount(cut + "…") > 123) cut = cut[..^1];
        return cut + "…";
    }
}
