using System.Collections.Concurrent;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Consoles;

public sealed class ConsoleOptions
{
    /// <summary>Open consoles one person may have at once (<c>Consoles:MaxPerUser</c>).</summary>
    public int MaxPerUser { get; set; } = 8;

    /// <summary>How often every open session's access is checked again, besides on each change of its VM or token.</summary>
    public int RecheckSeconds { get; set; } = 10;
}

public sealed class TooManyConsolesException(int cap)
    : KrautProblemException(429, "Too many consoles", $"You have {cap} consoles open, the most one person may (Consoles:MaxPerUser = {cap}); close one first.");

/// <summary>
/// Every open console session, in this process: the per-user cap, closing (one, a VM's, by an administrator), and the
/// audit table <c>console_sessions</c> (a row at open, completed at close).
/// </summary>
public sealed class ConsoleSessions(IServiceScopeFactory scopes, IOptions<ConsoleOptions> options, TimeProvider time, ILogger<ConsoleSessions> logger)
{
    private readonly ConcurrentDictionary<Guid, ConsoleSession> _open = new();
    private readonly Lock _capLock = new();

    /// <summary>Raised (on the opening or closing thread; must not block) when a session opens or ends.</summary>
    public event Action? Changed;

    public IReadOnlyList<ConsoleSessionInfo> List() => [.. _open.Values.Select(s => s.Info()).OrderBy(s => s.OpenedAt)];

    public IReadOnlyList<ConsoleSessionInfo> ListFor(Guid vmId) => [.. List().Where(s => s.VmId == vmId)];

    internal IReadOnlyList<ConsoleSession> Sessions => [.. _open.Values];

    /// <summary>Registers a session for a redeemed ticket and writes its opening row; 429 beyond the per-user cap.</summary>
    public async Task<ConsoleSession> OpenAsync(ConsoleTicket ticket, string vmName, string? remoteAddress, CancellationToken ct)
    {
        var session = new ConsoleSession(Guid.CreateVersion7(), ticket, vmName, remoteAddress, time.GetUtcNow().UtcDateTime);
        var cap = options.Value.MaxPerUser;
        lock (_capLock)
        {
            if (_open.Values.Count(s => s.Person == session.Person) >= cap)
            {
                session.Dispose();
                throw new TooManyConsolesException(cap);
            }
            _open[session.Id] = session;
        }
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
            db.ConsoleSessions.Add(new ConsoleSessionRow
            {
                Id = session.Id,
                VmId = session.VmId,
                VmName = Cut(vmName, ResourceNames.MaxLength)!,
                Type = session.Type,
                Who = Cut(session.Person, 200)!,
                Via = Cut(session.Actor.Via, 100)!,
                TokenId = session.Actor.Scope?.TokenId,
                Origin = Cut(session.Origin, 300),
                RemoteAddress = Cut(remoteAddress, 64),
                OpenedAt = session.OpenedAt,
            });
            await db.SaveChangesAsync(ct);
        }
        catch
        {
            // No console without its audit row.
            _open.TryRemove(session.Id, out _);
            session.Dispose();
            throw;
        }
        Changed?.Invoke();
        return session;
    }

    /// <summary>The session is over (its socket closed): completes its audit row with when, why and how many bytes.</summary>
    public async Task EndAsync(ConsoleSession session, string reason)
    {
        session.Close(reason);
        if (!_open.TryRemove(session.Id, out _)) return;
        Changed?.Invoke();
        var (closedAt, why, bytesIn, bytesOut) = (time.GetUtcNow().UtcDateTime, Cut(session.CloseReason ?? reason, 500), session.BytesIn, session.BytesOut);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<KrautDbContext>().ConsoleSessions.Where(r => r.Id == session.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.ClosedAt, closedAt).SetProperty(r => r.Reason, why)
                    .SetProperty(r => r.BytesIn, bytesIn).SetProperty(r => r.BytesOut, bytesOut), CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not complete the audit row of console session {Session}", session.Id);
        }
        finally
        {
            session.Dispose();
        }
    }

    /// <summary>Closes one session (an administrator's decision); false when no such session is open (or it is closing already).</summary>
    public bool Close(Guid sessionId, string reason)
    {
        if (!_open.TryGetValue(sessionId, out var session) || session.CloseReason is not null) return false;
        session.Close(reason);
        return true;
    }

    /// <summary>Closes every session on a VM (it was deleted, or stopped); returns how many.</summary>
    public int CloseVm(Guid vmId, string reason)
    {
        var sessions = _open.Values.Where(s => s.VmId == vmId).ToList();
        foreach (var session in sessions) session.Close(reason);
        return sessions.Count;
    }

    /// <summary>The latest audit rows, newest first (open ones included).</summary>
    public async Task<IReadOnlyList<ConsoleSessionRow>> RecentAsync(int limit, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<KrautDbContext>().ConsoleSessions.AsNoTracking()
            .OrderByDescending(r => r.OpenedAt).Take(limit).ToListAsync(ct);
    }

    /// <summary>Rows a stopped portal left open are closed: their sockets went with it.</summary>
    public async Task CloseLeftOpenAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var closed = await scope.ServiceProvider.GetRequiredService<KrautDbContext>().ConsoleSessions.Where(r => r.ClosedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ClosedAt, now).SetProperty(r => r.Reason, "portal restarted"), ct);
        if (closed > 0) logger.LogInformation("Closed {Count} console session records the previous run left open", closed);
    }

    private static string? Cut(string? text, int max) => text is null || text.Length <= max ? text : text[..max];
}
