using KrautPortal.Features.Store;

namespace KrautPortal.Features.Consoles;

/// <summary>The two consoles a VM has: its serial port (text) and its screen (VNC).</summary>
public static class ConsoleTypes
{
    public const string Serial = "serial";
    public const string Vnc = "vnc";
    public static readonly IReadOnlyList<string> All = [Serial, Vnc];

    /// <summary><paramref name="type"/> when it is one; a 400 naming the field otherwise.</summary>
    public static string Parse(string? type, string field = "type") =>
        type is not null && All.Contains(type) ? type
        : throw new BadRequestException("Invalid console type",
            $"{field}: {(type is null ? "missing" : $"'{type}' is not a console type")}; use {string.Join(" or ", All)}.");
}

/// <summary>Where a console's WebSocket is, and the subprotocols that carry its ticket.</summary>
public static class ConsoleUrls
{
    /// <summary>The subprotocol the server selects; a client offers it next to its ticket.</summary>
    public const string Protocol = "kraut.console";

    /// <summary>Prefix of the subprotocol that carries the ticket: never in the URL, so proxies never log it.</summary>
    public const string TicketPrefix = "kraut.ticket.";

    /// <summary>The socket's path below the path base.</summary>
    public static string PathFor(Guid vmId, string type) => $"/api/v1/vms/{vmId:D}/console/{type}";

    public static IReadOnlyList<string> ProtocolsFor(string ticket) => [Protocol, TicketPrefix + ticket];
}

/// <summary>A token may name <c>console</c>: open a VM's consoles (it also needs <c>read</c>, as GET does).</summary>
public sealed class ConsoleTokenActions : Tokens.ITokenActions
{
    public IReadOnlyList<string> Actions => [ConsoleTickets.Verb];
}
