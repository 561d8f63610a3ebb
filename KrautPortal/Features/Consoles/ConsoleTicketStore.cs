using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Consoles;

/// <summary>What a console ticket lets in: this actor, to this VM's console of this type, from this page origin, until then.</summary>
/// <param name="Origin">The page's <c>scheme://host[:port]</c>; null for a non-browser client, which must then send no Origin.</param>
public sealed record ConsoleTicket(Actor Actor, Guid VmId, string Type, string? Origin, DateTime ExpiresAt);

/// <summary>Why a ticket was not accepted: 401 (none, used, expired, another VM's) or 403 (another origin).</summary>
public sealed record TicketRefusal(int Status, string Title, string Detail);

/// <summary>
/// The open tickets, kept by the SHA-256 of their secret (the table alone lets nobody in, and a lookup compares no
/// secret byte by byte). Each is taken out on its first presentation, whatever the outcome: it is never good twice.
/// </summary>
public sealed class ConsoleTicketStore(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ConsoleTicket> _byHash = new(StringComparer.Ordinal);

    public (string Secret, ConsoleTicket Ticket) Add(Actor actor, Guid vmId, string type, string? origin, TimeSpan lifetime)
    {
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var (hash, old) in _byHash)
            if (old.ExpiresAt <= now) _byHash.TryRemove(hash, out _);
        var secret = Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var ticket = new ConsoleTicket(actor, vmId, type, ConsoleOrigins.Normalize(origin), now + lifetime);
        _byHash[Hash(secret)] = ticket;
        return (secret, ticket);
    }

    /// <summary>Takes the ticket for this VM and type, presented from <paramref name="origin"/>; the ticket or why not.</summary>
    public (ConsoleTicket? Ticket, TicketRefusal? Refusal) Redeem(string? secret, Guid vmId, string type, string? origin)
    {
        const string title = "Console ticket refused";
        if (string.IsNullOrEmpty(secret))
            return (null, new(401, title, $"No ticket: get one with POST /api/v1/vms/{{id}}/console and offer it as the subprotocol '{ConsoleUrls.TicketPrefix}<ticket>'."));
        if (!_byHash.TryRemove(Hash(secret), out var ticket))
            return (null, new(401, title, "This ticket is not valid: it was used already, or never issued. Ask for a new one."));
        if (ticket.ExpiresAt <= time.GetUtcNow().UtcDateTime)
            return (null, new(401, title, $"This ticket expired at {ticket.ExpiresAt:u}; tickets are good for {ConsoleTickets.Lifetime.TotalSeconds:0} s. Ask for a new one."));
        // Before the VM: a page of another site holding a valid ticket learns nothing about it.
        if (ConsoleOrigins.Normalize(origin) != ticket.Origin)
            return (null, new(403, "Cross-origin console", ticket.Origin is null
                ? "This ticket was issued to a client that is not a web page, but this request comes from one (it sent an Origin)."
                : $"This ticket was issued to a page of {ticket.Origin}; the request comes from {(string.IsNullOrEmpty(origin) ? "no page" : origin)}."));
        if (ticket.VmId != vmId || ticket.Type != type)
            return (null, new(401, title, "This ticket is for another console."));
        return (ticket, null);
    }

    public int Count => _byHash.Count;

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>Origins compared as browsers send them: <c>scheme://host[:port]</c>, lower case, the default port left out.</summary>
public static class ConsoleOrigins
{
    public static string? Normalize(string? origin)
    {
        if (string.IsNullOrWhiteSpace(origin)) return null;
        // "null" is what a sandboxed or privacy-sensitive page sends: an origin, but one no ticket is ever issued to.
        if (!Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return "invalid:" + origin.Trim();
        return uri.IsDefaultPort ? $"{uri.Scheme}://{uri.IdnHost.ToLowerInvariant()}" : $"{uri.Scheme}://{uri.IdnHost.ToLowerInvariant()}:{uri.Port}";
    }
}
