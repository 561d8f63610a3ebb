using System.Text.Json;
using System.Text.Json.Nodes;
using KrautPortal.Features.Auth;
using KrautPortal.Features.Consoles;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Audit;

/// <summary>
/// The one searchable view of the audit trail: API calls, object history (VM actions included), authentication
/// decisions and console sessions, merged newest first. Administrators see everyone's; anyone else only their own
/// actions (entries where they are the actor), and of object history only versions of objects they may read.
/// </summary>
public sealed class AuditSearch(DbSession session, ResourceStore store)
{
    private KrautDbContext db => session.Db;

    public const int MaxLimit = 200;
    private static readonly string[] Results = ["ok", "refused", "failed"];
    private static readonly HashSet<string> PortalPages = ["address-pools", "firewalls", "images", "machine-types", "networks", "vms"];

    public async Task<AuditPage> SearchAsync(AuditQuery query, Actor actor, CancellationToken ct)
    {
        Validate(query);
        if (!actor.IsAdmin && query.User is { } other && other != actor.Name)
            throw new ForbiddenException($"You may search your own entries only, not {other}'s; administrators search everyone's.");
        var user = actor.IsAdmin ? query.User : actor.Name;
        var q = query with { User = user };
        var cursor = AuditCursor.Decode(q.Before);
        var wanted = q.Sources ?? AuditCursor.Sources;

        var merged = new List<(AuditEntry Entry, AuditCursor Position)>();
        var more = false;
        if (wanted.Contains("api")) merged.AddRange(await ApiAsync(q, cursor, ct));
        if (wanted.Contains("history") && q.Result is null or "ok")
        {
            var page = await HistoryAsync(q, cursor, actor, ct);
            merged.AddRange(page.Items);
            more |= page.More;
        }
        if (wanted.Contains("auth") && q.Result is not "failed") merged.AddRange(await AuthAsync(q, cursor, ct));
        if (wanted.Contains("console") && q.Result is null or "ok") merged.AddRange(await ConsoleAsync(q, cursor, ct));

        var ordered = merged.OrderByDescending(m => m.Position.At).ThenByDescending(m => m.Position.Rank).ThenByDescending(m => m.Position.Seq).ToList();
        var items = ordered.Take(q.Limit).ToList();
        more |= ordered.Count > q.Limit;
        var entries = await LinkVersionsAsync(items.Select(i => i.Entry).ToList(), actor, ct);
        return new AuditPage(entries, more && items.Count > 0 ? items[^1].Position.Encode() : null);
    }

    private static void Validate(AuditQuery q)
    {
        if (q.Limit is < 1 or > MaxLimit) throw new BadRequestException("Invalid limit", $"limit must be between 1 and {MaxLimit}.");
        if (q.Result is { } r && !Results.Contains(r)) throw new BadRequestException("Invalid result", $"'{r}' is no result; use ok, refused or failed.");
        if (q.Sources?.FirstOrDefault(s => !AuditCursor.Sources.Contains(s)) is { } s)
            throw new BadRequestException("Invalid source", $"'{s}' is no source; use {string.Join(", ", AuditCursor.Sources)}.");
        if (q.From > q.To) throw new BadRequestException("Invalid time range", "from must not be after to.");
    }

    private async Task<IEnumerable<(AuditEntry, AuditCursor)>> ApiAsync(AuditQuery q, AuditCursor? cursor, CancellationToken ct)
    {
        var rows = db.AuditEntries.AsNoTracking();
        if (q.User is { } user) rows = rows.Where(e => e.User == user);
        if (q.Kind is { } kind) rows = rows.Where(e => e.Kind == kind);
        if (q.ObjectId is { } id) rows = rows.Where(e => e.ObjectId == id);
        if (q.Action is { } action) rows = rows.Where(e => e.Action != null && e.Action.Contains(action));
        if (q.From is { } from) rows = rows.Where(e => e.At >= from);
        if (q.To is { } to) rows = rows.Where(e => e.At <= to);
        if (q.Result is { } result) rows = rows.Where(e => e.Outcome == result);
        if (cursor is { } c)
        {
            var (at, below) = (c.At, c.SeqBelowAt(0));
            rows = rows.Where(e => e.At < at || (e.At == at && e.Seq < below));
        }
        var list = await rows.OrderByDescending(e => e.At).ThenByDescending(e => e.Seq).Take(q.Limit + 1).ToListAsync(ct);
        return list.Select(e => (new AuditEntry($"api:{e.Seq}", "api", e.At, e.User, e.Who, e.Via, e.TokenId, e.RemoteAddress, e.Method, e.Route, e.Path,
            e.Kind, e.ObjectId, null, e.Action, e.Status, e.Outcome, e.DurationMs, Parse(e.Parameters), null, null, null, null, PageUrl(e.Kind, e.ObjectId)),
            new AuditCursor(e.At, 0, e.Seq)));
    }

    private async Task<(List<(AuditEntry, AuditCursor)> Items, bool More)> HistoryAsync(AuditQuery q, AuditCursor? cursor, Actor actor, CancellationToken ct)
    {
        var page = await store.HistoryFeedAsync(new HistoryFeedQuery(q.Limit, q.User, q.Kind, q.ObjectId is { } id ? [id] : null, q.Action, q.From, q.To,
            cursor is { } c ? (c.At, c.SeqBelowAt(1)) : null), actor, ct);
        return (page.Items.Select(h => (History(h), new AuditCursor(h.ChangedAt, 1, h.Seq))).ToList(), page.More);
    }

    private static AuditEntry History(HistoryFeedEntry h)
    {
        var (historyUrl, diffUrl) = VersionUrls(h.Kind, h.ResourceId, h.Version);
        return new AuditEntry($"history:{h.Seq}", "history", h.ChangedAt, Person(h.ChangedBy), h.ChangedBy, null, null, null, null, null, null,
            h.Kind, h.ResourceId, h.Name, h.Change, null, "ok", null, null, h.Change, h.Version, historyUrl, diffUrl, PageUrl(h.Kind, h.ResourceId));
    }

    private async Task<IEnumerable<(AuditEntry, AuditCursor)>> AuthAsync(AuditQuery q, AuditCursor? cursor, CancellationToken ct)
    {
        // Sign-ins and refused reads: an API call that meant to change something is already an "api" entry of its own.
        var rows = db.AuthEvents.AsNoTracking().Where(e => e.Status == null || (e.Decision == "deny" && (e.Method == "GET" || e.Method == "HEAD")));
        if (q.User is { } user) rows = rows.Where(e => e.Who == user);
        if (q.Kind is { } kind) rows = rows.Where(e => e.Kind == kind);
        if (q.ObjectId is { } id) rows = rows.Where(e => e.ObjectId == id);
        if (q.Action is { } action)
        {
            var method = action.ToUpperInvariant();
            rows = rows.Where(e => e.Action != null ? e.Action.Contains(action) : e.Method == method);
        }
        if (q.From is { } from) rows = rows.Where(e => e.At >= from);
        if (q.To is { } to) rows = rows.Where(e => e.At <= to);
        if (q.Result is { } result) rows = rows.Where(e => e.Decision == (result == "ok" ? "allow" : "deny"));
        if (cursor is { } c)
        {
            var (at, below) = (c.At, c.SeqBelowAt(2));
            rows = rows.Where(e => e.At < at || (e.At == at && e.Seq < below));
        }
        var list = await rows.OrderByDescending(e => e.At).ThenByDescending(e => e.Seq).Take(q.Limit + 1).ToListAsync(ct);
        return list.Select(e => (new AuditEntry($"auth:{e.Seq}", "auth", e.At, e.Who, e.Who, e.Via, null, e.RemoteAddress, e.Method, null, e.Path,
            e.Kind, e.ObjectId, null, e.Action ?? e.Method.ToLowerInvariant(), e.Status, e.Decision == "allow" ? "ok" : "refused", null, null,
            e.Count > 1 ? $"{e.Reason} (×{e.Count})" : e.Reason, null, null, null, PageUrl(e.Kind, e.ObjectId)), new AuditCursor(e.At, 2, e.Seq)));
    }

    private async Task<IEnumerable<(AuditEntry, AuditCursor)>> ConsoleAsync(AuditQuery q, AuditCursor? cursor, CancellationToken ct)
    {
        if ((q.Kind is { } kind && kind != Kinds.Vms.Name) || (q.Action is { } action && !"console".Contains(action, StringComparison.Ordinal)))
            return [];
        var rows = db.ConsoleSessions.AsNoTracking();
        if (q.User is { } user) rows = rows.Where(s => s.Who == user);
        if (q.ObjectId is { } id) rows = rows.Where(s => s.VmId == id);
        if (q.From is { } from) rows = rows.Where(s => s.OpenedAt >= from);
        if (q.To is { } to) rows = rows.Where(s => s.OpenedAt <= to);
        // Sessions have no sequence: at the cursor's very instant, all of them or none.
        if (cursor is { } c) rows = c.SeqBelowAt(3) > 0 ? rows.Where(s => s.OpenedAt <= c.At) : rows.Where(s => s.OpenedAt < c.At);
        var list = await rows.OrderByDescending(s => s.OpenedAt).Take(q.Limit + 1).ToListAsync(ct);
        return list.Select(s => (new AuditEntry($"console:{s.Id}", "console", s.OpenedAt, s.Who, s.Who, s.Via, s.TokenId, s.RemoteAddress, null, null, null,
            Kinds.Vms.Name, s.VmId, s.VmName, "console", null, "ok", s.ClosedAt is { } closed ? (closed - s.OpenedAt).TotalMilliseconds : null, null,
            $"{s.Type} console, " + (s.ClosedAt is null ? "open" : $"closed: {s.Reason}") + $" ({s.BytesIn} bytes in, {s.BytesOut} out)", null, null, null,
            PageUrl(Kinds.Vms.Name, s.VmId)), new AuditCursor(s.OpenedAt, 3, 0)));
    }

    /// <summary>An API call that changed an object links to the version it made: same object, same author, stored while the call ran.</summary>
    private async Task<List<AuditEntry>> LinkVersionsAsync(List<AuditEntry> entries, Actor actor, CancellationToken ct)
    {
        var calls = entries.Where(e => e is { Source: "api", Result: "ok", ObjectId: not null, Kind: not null }).ToList();
        if (calls.Count == 0) return entries;
        var from = calls.Min(e => e.At);
        var to = calls.Max(e => e.At.AddMilliseconds(e.DurationMs ?? 0)).AddSeconds(1);
        var versions = (await store.HistoryFeedAsync(new HistoryFeedQuery(MaxLimit * 2, ResourceIds: calls.Select(e => e.ObjectId!.Value).Distinct().ToList(),
            From: from, To: to), actor, ct)).Items;
        return entries.Select(e =>
        {
            if (!calls.Contains(e)) return e;
            var end = e.At.AddMilliseconds((e.DurationMs ?? 0) + 1000);
            var made = versions.FirstOrDefault(v => v.ResourceId == e.ObjectId && v.Kind == e.Kind && v.ChangedBy == e.Who && v.ChangedAt >= e.At && v.ChangedAt <= end);
            if (made is null) return e;
            var (historyUrl, diffUrl) = VersionUrls(made.Kind, made.ResourceId, made.Version);
            return e with { ObjectName = made.Name, Version = made.Version, HistoryUrl = historyUrl, DiffUrl = diffUrl };
        }).ToList();
    }

    private static (string History, string? Diff) VersionUrls(string kind, Guid id, long version) =>
        ($"/api/v1/{kind}/{id}/history/{version}", version > 1 ? $"/api/v1/{kind}/{id}/diff?from={version - 1}&to={version}" : null);

    private static string? PageUrl(string? kind, Guid? id) =>
        kind is not null && id is not null && PortalPages.Contains(kind) ? $"/{kind}/{id}" : null;

    /// <summary>History names a token's changes <c>alice (token …)</c>: the person is the part before.</summary>
    private static string Person(string changedBy)
    {
        var cut = changedBy.IndexOf(" (token ", StringComparison.Ordinal);
        return cut > 0 ? changedBy[..cut] : changedBy;
    }

    private static JsonNode? Parse(string? json)
    {
        if (json is null) return null;
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            // Cut at the bound: shown as the text it is.
            return JsonValue.Create(json);
        }
    }
}
