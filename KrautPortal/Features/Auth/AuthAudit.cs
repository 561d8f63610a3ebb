using System.Threading.Channels;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Auth;

/// <summary>One allow or deny: who, what, by which authenticator, and why.</summary>
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
}

/// <summary>
/// The audit log of authentication and authorization decisions. Requests only enqueue; a background writer
/// stores events in batches, so auditing adds no database round trip to each request.
/// </summary>
public sealed class AuthAudit(IServiceScopeFactory scopes, TimeProvider time, ILogger<AuthAudit> logger) : BackgroundService
{
    private readonly Channel<AuthEventRow> _events = Channel.CreateBounded<AuthEventRow>(
        new BoundedChannelOptions(100_000) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    public void Record(AuthRequest request, Actor? actor, AuthResult result, string via) =>
        Write(new AuthEventRow
        {
            At = time.GetUtcNow().UtcDateTime,
            Who = actor?.Name ?? NameFromResult(result) ?? Claimed(request.Authorization),
            Via = via,
            Decision = result is AuthResult.Allow ? "allow" : "deny",
            Reason = (result as AuthResult.Deny)?.Reason,
            Method = request.Method,
            Path = request.Path,
            Kind = request.Kind,
            ObjectId = request.ObjectId,
            Action = request.Action,
            RemoteAddress = request.RemoteAddress,
        });

    /// <summary>An authorization refusal after authentication succeeded (a scope or role does not allow it).</summary>
    public void RecordForbidden(Actor actor, string verb, string kind, Guid? id, string reason) =>
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

    private void Write(AuthEventRow row)
    {
        if (!_events.Writer.TryWrite(row)) logger.LogWarning("Audit queue full; dropping an event for {Who}", row.Who);
    }

    private static string? NameFromResult(AuthResult result) => (result as AuthResult.Allow)?.Actor.Name;

    /// <summary>Who refused credentials claim to be (a Basic user name, a token's id), so a refusal says whose account was tried; never the secret.</summary>
    private static string? Claimed(string? authorization) =>
        BasicAuthenticator.TryParse(authorization, out var user, out _) ? user
        : Tokens.TokenService.TryParseSecret(Bearer.From(authorization), out var id, out _) ? $"token:{id}"
        : null;

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
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            db.AuthEvents.AddRange(batch);
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not store {Count} audit events", batch.Count);
        }
        batch.Clear();
    }
}
