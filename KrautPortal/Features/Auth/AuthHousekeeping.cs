using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Auth;

/// <summary>Hourly: deletes audit rows older than <see cref="AuthOptions.AuditRetentionDays"/>, and expired sessions.</summary>
public sealed class AuthHousekeeping(IServiceScopeFactory scopes, IOptions<AuthOptions> options, TimeProvider time, ILogger<AuthHousekeeping> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Pruning the audit log and expired sessions failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One sweep; returns the audit rows and sessions removed.</summary>
    public async Task<(int Events, int Sessions)> SweepAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var horizon = now.AddDays(-Math.Max(1, options.Value.AuditRetentionDays));
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KrautDbContext>();
        var events = await db.AuthEvents.Where(e => e.At < horizon).ExecuteDeleteAsync(ct);
        var sessions = await db.Sessions.Where(s => s.ExpiresAt != null && s.ExpiresAt < now).ExecuteDeleteAsync(ct);
        if (events + sessions > 0) logger.LogInformation("Removed {Events} audit rows older than {Horizon:u} and {Sessions} expired sessions", events, horizon, sessions);
        return (events, sessions);
    }
}
