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
            await CloseAsync(socket, session, type);
        }
        finally
        {
            await sessions.EndAsync(session, session.CloseReason ?? "The connection ended.");
        }
    }

    /// <summary>Tells the client why (a <c>closed</c> message on the serial console, the close frame's reason on both), then closes.</summary>
    private static async Task CloseAsync(WebSocket socket, ConsoleSession session, string type)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        var reason = session.CloseReason ?? "The console ended.";
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            if (type == ConsoleTypes.Serial && socket.State == WebSocketState.Open)
            {
                var closed = JsonSerializer.SerializeToUtf8Bytes(new { op = "closed", reason });
                await socket.SendAsync(closed, WebSocketMessageType.Text, true, timeout.Token);
            }
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, Shorten(reason), timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client went first
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
