using System.Threading.Channels;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Auth;

/// <summary>One request's allow or deny: who, what, by which authenticator, why, and how it ended.</summary>
public sealed class AuthEventRow
{
    public long Seq { get; set; }
    public DateTime At { get; set; }
    public string? Who { get; set; }
    public required string Via { get; set; }
    public required string Decision { get; set; }
    public string? Reason { get; set; }
    public required string Method { get; set; }
    public required string Path { get; set; }
    public string? Kind { get; set; }
    public Guid? ObjectId { get; set; }
    public string? Action { get; set; }
    public string? RemoteAddress { get; set; }

    /// <summary>The HTTP status the request ended with, when it was an API request.</summary>
    public int? Status { get; set; }

    /// <summary>How many identical refusals this row stands for (same reason, who and address within a minute).</summary>
    public int Count { get; set; } = 1;
}

/// <summary>
/// The audit log of authentication and authorization decisions. Requests only enqueue; a background writer
/// stores events in batches, so auditing adds no database round trip to each request. An API request gets one row,
/// written when its answer is complete, with the final outcome. Fields are cut to bounded lengths, and a flood of
/// refusals is counted on a few rows instead of one row each (<see cref="AuditAggregator"/>).
/// </summary>
public sealed class AuthAudit(IServiceScopeFactory scopes, IServiceProvider services, TimeProvider time, ILogger<AuthAudit> logger) : BackgroundService
{
    private readonly Channel<AuthEventRow> _events = Channel.CreateBounded<AuthEventRow>(
        new BoundedChannelOptions(100_000) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    private readonly AuditAggregator _aggregator = new();

    // Every registered authenticator, whether in the chain or not: a refusal names whose credentials were tried either way.
    // Resolved at the first refusal, not at start-up, so the audit does not build the verifiers before the chain does.
    private readonly Lazy<IReadOnlyList<IAuthenticator>> _authenticators = new(() => services.GetServices<IAuthenticator>().ToList());

    public void Record(AuthRequest request, AuthDecision decision, int? status) =>
        Write(Row(request, decision, status));

    /// <summary>A decision about a known actor that did not come from the chain (the second factor).</summary>
    public void Record(AuthRequest request, Actor actor, AuthResult result, string via)
    {
        var row = Row(request, new AuthDecision(result, via), status: null);
        row.Who = actor.Name;
        Write(row);
    }

    /// <summary>
    /// An API request's decision, written once its answer is complete: then the row says how it really ended (a token
    /// allowed in but refused the verb, an object it may not see) instead of one row per step.
    /// </summary>
    public void RecordWhenComplete(HttpContext http, AuthRequest request, AuthDecision decision)
    {
        var pending = new PendingAudit(request, decision);
        http.Features.Set(pending);
        http.Response.OnCompleted(() =>
        {
            pending.Completed = true;
            Write(pending.ToRow(this, http.Response.StatusCode));
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// An API request let in (or refused) by a credential of its own instead of the Authorization header (a console
    /// WebSocket's ticket): its one row names that decision rather than the header's absence.
    /// </summary>
    public void Attribute(HttpContext http, AuthDecision decision)
    {
        if (http.Features.Get<PendingAudit>() is { Completed: false } pending) pending.Decision = decision;
    }

    /// <summary>An authorization refusal after authentication succeeded (a scope or role does not allow it).</summary>
    public void RecordForbidden(HttpContext? http, Actor actor, string verb, string kind, Guid? id, string reason)
    {
        if (http?.Features.Get<PendingAudit>() is { Completed: false } pending)
        {
            // Part of an API request: its one row will carry this refusal.
            pending.Refusal = reason;
            return;
        }
        Write(new AuthEventRow
        {
            At = time.GetUtcNow().UtcDateTime,
            Who = actor.Name,
            Via = actor.Via,
            Decision = "deny",
            Reason = reason,
            Method = verb,
            Path = kind,
            Kind = kind,
            ObjectId = id,
        });
    }

    private AuthEventRow Row(AuthRequest request, AuthDecision decision, int? status)
    {
        var (result, via) = (decision.Result, decision.Via);
        return new AuthEventRow
        {
            At = time.GetUtcNow().UtcDateTime,
            Who = (result as AuthResult.Allow)?.Actor.Name ?? Claimed(request.Authorization),
            Via = via,
            Decision = result is AuthResult.Allow ? "allow" : "deny",
            Reason = result is AuthResult.Deny deny ? deny.Detail ?? deny.Reason : null,
            Method = request.Method,
            Path = request.Path,
            Kind = request.Kind,
            ObjectId = request.ObjectId,
            Action = request.Action,
            RemoteAddress = request.RemoteAddress,
            Status = status,
        };
    }

    private sealed class PendingAudit(AuthRequest request, AuthDecision decision)
    {
        public bool Completed { get; set; }
        public AuthDecision Decision { get; set; } = decision;
        public string? Refusal { get; set; }

        public AuthEventRow ToRow(AuthAudit audit, int status)
        {
            var row = audit.Row(request, Decision, status);
            if (row.Decision != "allow") return row;
            // Let in, but the answer was a refusal after all: the row says so, once.
            if (Refusal is not null || status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
                (row.Decision, row.Reason) = ("deny", Refusal ?? $"Refused ({status}).");
            else if (status == StatusCodes.Status404NotFound)
                (row.Decision, row.Reason) = ("deny", "Not found, or not visible to this caller.");
            return row;
        }
    }

    private void Write(AuthEventRow row)
    {
        AuditAggregator.Bound(row);
        if (!_events.Writer.TryWrite(row)) logger.LogWarning("Audit queue full; dropping an event for {Who}", row.Who);
    }

    /// <summary>Who refused credentials claim to be (a Basic user name, a token's id), so a refusal says whose account was tried; never the secret.</summary>
    private string? Claimed(string? authorization) => authorization is null ? null
        : _authenticators.Value.Select(a => a.Claimed(authorization)).FirstOrDefault(who => who is not null);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AuthEventRow>();
        while (await _events.Reader.WaitToReadAsync(stoppingToken).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default))
        {
            while (batch.Count < 500 && _events.Reader.TryRead(out var row)) batch.Add(row);
            await FlushAsync(batch);
        }
        // Shutting down: keep what is still queued.
        while (_events.Reader.TryRead(out var row)) batch.Add(row);
        await FlushAsync(batch);
    }

    private async Task FlushAsync(List<AuthEventRow> batch)
    {
        if (batch.Count == 0) return;
        try
        {
            var (fresh, counted) = _aggregator.Sort(batch);
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            db.AuthEvents.AddRange(fresh);
            await db.SaveChangesAsync(CancellationToken.None);
            foreach (var row in counted.Where(r => !fresh.Contains(r)))
            {
                var count = row.Count;
                await db.AuthEvents.Where(e => e.Seq == row.Seq).ExecuteUpdateAsync(s => s.SetProperty(e => e.Count, count), CancellationToken.None);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not store {Count} audit events", batch.Count);
        }
        batch.Clear();
    }
}
