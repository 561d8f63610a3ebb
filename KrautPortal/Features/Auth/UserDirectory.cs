using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Auth;

/// <summary>The people who signed in to the portal, and the recent auth decisions, for the admin page.</summary>
public sealed class UserDirectory(DbSession session, TimeProvider time)
{
    private KrautDbContext db => session.Db;

    public async Task TouchLoginAsync(string user, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var updated = await db.Users.Where(u => u.Name == user).ExecuteUpdateAsync(s => s.SetProperty(u => u.LastLoginAt, now), ct);
        if (updated > 0) return;
        db.Users.Add(new UserRow { Name = user, CreatedAt = now, LastLoginAt = now });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Two first logins at once: the other one made the row.
            db.ChangeTracker.Clear();
        }
    }

    public async Task<List<UserRow>> ListAsync(CancellationToken ct) => await db.Users.AsNoTracking().OrderBy(u => u.Name).ToListAsync(ct);

    /// <summary>One page of decisions, newest first, older than <paramref name="before"/> (keyset paging: every row is reachable).</summary>
    public async Task<List<AuthEventRow>> EventsAsync(long? before, int count, string? decision, CancellationToken ct) =>
        await db.AuthEvents.AsNoTracking().Where(e => (decision == null || e.Decision == decision) && (before == null || e.Seq < before))
            .OrderByDescending(e => e.Seq).Take(count).ToListAsync(ct);

    public async Task<int> CountEventsAsync(string? decision, CancellationToken ct) =>
        await db.AuthEvents.Where(e => decision == null || e.Decision == decision).CountAsync(ct);
}
