using System.Text.Json.Nodes;
using KrautPortal.Features.Api;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Consoles;

/// <summary>The answer to asking for a console: the ticket, the socket's absolute URL and the subprotocols to offer.</summary>
public sealed record ConsoleTicketResponse(string Ticket, string Url, IReadOnlyList<string> Protocols, DateTime ExpiresAt, string Type);

/// <summary>Consoles over the API: a ticket for a VM's console, the console's WebSocket, and the administrators' view of open sessions.</summary>
public static class ConsolesApi
{
    public static void MapConsoles(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/vms/{id}/console", IssueAsync).WithTags("VMs").WithName("OpenVmConsole")
            .WithSummary("A one-time ticket (30 s) for the VM's serial or vnc console. Body: {\"type\": \"serial\"|\"vnc\"}. Open the WebSocket at url, "
                + "offering the protocols (kraut.console and kraut.ticket.<ticket>); from a web page, from the origin that asked.")
            .Accepts<ConsoleTicketRequest>("application/json");
        // A WebSocket, which OpenAPI cannot describe: the ticket's answer names it.
        var socket = app.CreateApplicationBuilder();
        socket.UseWebSockets();
        socket.Run(ConsoleSocket.ServeAsync);
        app.MapMethods("/api/v1/vms/{id}/console/{type}", ["GET"], socket.Build()).WithName("ConsoleSocket")
            // The ticket in the subprotocol is the credential: no Authorization header reaches a WebSocket from a browser.
            .AllowAnonymous()
            .ExcludeFromDescription();
        var admin = app.MapGroup("/api/v1/consoles").WithTags("Consoles");
        admin.MapGet("/", List).WithName("ListConsoles").WithSummary("Open console sessions (administrators only).");
        admin.MapDelete("/{sessionId}", Close).WithName("CloseConsole").WithSummary("Close an open console session (administrators only); its viewer is told why.");
    }

    public static async Task<Created<ConsoleTicketResponse>> IssueAsync(ConsoleTickets tickets, string id, HttpContext http, CancellationToken ct)
    {
        var vmId = ApiIds.Parse(id);
        var body = await JsonBodyReader.ReadObjectAsync(http.Request, ct);
        foreach (var (key, _) in body)
            if (key != "type") throw new BadRequestException("Unknown field", $"{key}: this field is not known; send only type (serial or vnc).");
        var type = body["type"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
        ConsoleTypes.Parse(type);
        // A page of the portal asks with its own origin; a command-line client sends none, and must then open the socket without one.
        var origin = http.Request.Headers.Origin.Count > 0 ? http.Request.Headers.Origin.ToString() : null;
        var issued = await tickets.IssueAsync(vmId, type, origin, ct);
        var url = SocketUrl(http.Request, issued.Path);
        return TypedResults.Created(url, new ConsoleTicketResponse(issued.Ticket, url, issued.Protocols, issued.ExpiresAt, issued.Type));
    }

    /// <summary>ws(s)://host/pathbase/path, as the client sees the portal (after trusted forwarded headers).</summary>
    public static string SocketUrl(HttpRequest request, string path) =>
        $"{(request.IsHttps ? "wss" : "ws")}://{request.Host.Value}{request.PathBase.Value}{path}";

    public static Ok<IReadOnlyList<ConsoleSessionInfo>> List(ConsoleSessions sessions, IActorAccessor actors)
    {
        DemandAdmin(actors.Current);
        return TypedResults.Ok(sessions.List());
    }

    public static NoContent Close(ConsoleSessions sessions, IActorAccessor actors, string sessionId)
    {
        var actor = DemandAdmin(actors.Current);
        var id = ApiIds.Parse(sessionId, "console session id");
        if (!sessions.Close(id, $"An administrator ({actor.RecordedAs}) closed this console."))
            throw new NotFoundException("open console session", id);
        return TypedResults.NoContent();
    }

    /// <summary>Open sessions show who works on which VM: administrators only, and a token of theirs only when it may open consoles itself.</summary>
    private static Actor DemandAdmin(Actor actor)
    {
        if (!actor.IsAdmin) throw new ForbiddenException("Only administrators see and close console sessions.");
        if (actor.Scope is { } scope && !scope.Allows(ConsoleTickets.Verb, Kinds.Vms.Name))
            throw new ForbiddenException($"This token may not {ConsoleTickets.Verb} {Kinds.Vms.Plural}, so it may not manage console sessions either.");
        return actor;
    }
}

/// <summary>The body of a ticket request.</summary>
public sealed record ConsoleTicketRequest(string Type);
