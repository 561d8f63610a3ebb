using System.Text.Json.Nodes;

namespace KrautPortal.Features.Audit;

/// <summary>
/// One line of the audit trail as the search answers it, whatever it came from: an API call (<c>api</c>), a version of an
/// object (<c>history</c>, which includes VM actions), an authentication decision (<c>auth</c>) or a console session
/// (<c>console</c>). Fields a source does not have are null.
/// </summary>
/// <param name="Id">Unique across sources: <c>api:12</c>, <c>history:345</c>, <c>auth:7</c>, <c>console:&lt;id&gt;</c>.</param>
/// <param name="User">The person; <paramref name="Who"/> as recorded (<c>alice (token …)</c>).</param>
/// <param name="Result"><c>ok</c>, <c>refused</c> or <c>failed</c>.</param>
/// <param name="Parameters">An API call's body, secrets masked.</param>
/// <param name="Detail">A history entry's change, an auth refusal's reason, a console session's end.</param>
/// <param name="Version">The object's version this entry made (history; an API call when its version was found).</param>
/// <param name="HistoryUrl">That version, whole (API).</param>
/// <param name="DiffUrl">What that version changed (API), when there was one before it.</param>
/// <param name="PageUrl">The object's page in the portal, when it has one.</param>
public sealed record AuditEntry(
    string Id, string Source, DateTime At, string? User, string? Who, string? Via, Guid? TokenId, string? RemoteAddress,
    string? Method, string? Route, string? Path, string? Kind, Guid? ObjectId, string? ObjectName, string? Action, int? Status,
    string Result, double? DurationMs, JsonNode? Parameters, string? Detail, long? Version, string? HistoryUrl, string? DiffUrl, string? PageUrl);

/// <summary>A page of entries, newest first; <paramref name="Next"/> is the <c>before</c> of the next page, null at the end.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, string? Next);

/// <summary>What to search for; every filter is optional. Times are inclusive, UTC.</summary>
/// <param name="Action">Part of the action (<c>start</c> finds the API's start and history's "action: start").</param>
/// <param name="Sources">Some of api, history, auth, console; null for all.</param>
public sealed record AuditQuery(
    string? User = null, string? Kind = null, Guid? ObjectId = null, string? Action = null, DateTime? From = null, DateTime? To = null,
    string? Result = null, IReadOnlyList<string>? Sources = null, int Limit = 50, string? Before = null);
