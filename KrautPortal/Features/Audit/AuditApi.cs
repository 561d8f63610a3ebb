using System.Globalization;
using KrautPortal.Features.Api;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrautPortal.Features.Audit;

/// <summary>The audit trail over the API: the merged search (everyone, their own entries), and the chain check (administrators).</summary>
public static class AuditApi
{
    public static void MapAudit(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/audit").WithTags("Audit");
        group.MapGet("/", SearchAsync).WithName("SearchAudit")
            .WithSummary("API calls, object versions, sign-ins and console sessions, newest first; administrators see everyone's, others their own. "
                + "Filters: user, kind, object, action, from, to (UTC, inclusive), result (ok|refused|failed), source (api,history,auth,console); "
                + "limit (1-200, default 50); before: the previous page's next.");
        group.MapGet("/verify", VerifyAsync).WithName("VerifyAudit")
            .WithSummary("Checks the audit chain (administrators only): the first broken entry, or the head to note.");
    }

    public static async Task<Ok<AuditPage>> SearchAsync(AuditSearch search, IActorAccessor actors, CancellationToken ct,
        string? user = null, string? kind = null, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "object")] string? objectId = null, string? action = null, string? from = null, string? to = null,
        string? result = null, string? source = null, int? limit = null, string? before = null)
    {
        var actor = actors.Current;
        if (actor.Scope is not null)
            throw new ForbiddenException("A limited-scope token may not read the audit trail; sign in with your password or use an unlimited credential.");
        var query = new AuditQuery(Blank(user), Blank(kind), Blank(objectId) is { } id ? ApiIds.Parse(id, "object id") : null, Blank(action),
            Time(from, "from"), Time(to, "to"), Blank(result),
            Blank(source)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), limit ?? 50, Blank(before));
        return TypedResults.Ok(await search.SearchAsync(query, actor, ct));
    }

    public static async Task<Ok<ChainReport>> VerifyAsync(KrautDbContext db, IActorAccessor actors, CancellationToken ct)
    {
        var actor = actors.Current;
        if (!actor.IsAdmin || actor.Scope is not null) throw new ForbiddenException("Only administrators check the audit chain (or run 'KrautPortal audit verify').");
        return TypedResults.Ok(await AuditCommand.VerifyAsync(db, ct));
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static DateTime? Time(string? text, string name) =>
        Blank(text) is not { } value ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.UtcDateTime
        : throw new BadRequestException("Invalid time", $"{name}: '{value}' is not a time; write it as ISO 8601, e.g. 2026-12-05T03:00:00Z.");
}
