using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Hosts;

/// <summary>
/// One VM of a drain: <c>waiting</c>, <c>moving</c> (to <paramref name="To"/>), <c>moved</c>, <c>gone</c> (deleted meanwhile),
/// <c>left</c> (running and live migration unavailable: stop it to move it; retried once it is stopped) or <c>failed</c>
/// (<paramref name="Reason"/> says why, e.g. the scheduler's explanation).
/// </summary>
public sealed record HostDrainVm(Guid Id, string Name, string State, string? To = null, string? Reason = null)
{
    public const string Waiting = "waiting", Moving = "moving", Moved = "moved", Gone = "gone", Left = "left", Failed = "failed";

    public bool Done => State is Moved or Gone;
}

/// <summary>A drain of a host: who asked and when, each VM that was on it and how far it got; finished when nothing waits or moves.</summary>
public sealed record HostDrain(string Uri, string By, DateTime At, IReadOnlyList<HostDrainVm> Vms, DateTime? FinishedAt = null)
{
    public int Total => Vms.Count;

    public int Moved => Vms.Count(v => v.Done);

    /// <summary>"3 of 5 moved; 1 left in place (running); 1 failed", as the hosts list and the panel show it.</summary>
    public string Summary
    {
        get
        {
            var parts = new List<string> { $"{Moved} of {Total} moved" };
            if (Vms.Count(v => v.State == HostDrainVm.Moving) is > 0 and var moving) parts.Add($"{moving} moving");
            if (Vms.Count(v => v.State == HostDrainVm.Left) is > 0 and var left) parts.Add($"{left} left in place (running: stop to move)");
            if (Vms.Count(v => v.State == HostDrainVm.Failed) is > 0 and var failed) parts.Add($"{failed} failed");
            return string.Join("; ", parts) + (FinishedAt is null ? "" : " — finished");
        }
    }
}

/// <summary>What a drain would do now: how many VMs would move and which of them run (they move only live).</summary>
public sealed record HostDrainPreview(int Vms, IReadOnlyList<string> Running, bool LiveAvailable);

/// <summary>
/// Drains a host (the VM feature answers: this feature knows no VMs). Starting cordons the host and records the drain;
/// the moves follow in the background, one or two at a time.
/// </summary>
public interface IHostDrainer
{
    Task<HostDrainPreview> PreviewAsync(string uri, CancellationToken ct);

    Task<HostDrain> StartAsync(string uri, string by, CancellationToken ct);
}

/// <summary>Drains, kept in the settings table (one row per host last drained), so every replica and restart sees them.</summary>
public sealed class HostDrains(DbSession session)
{
    private KrautDbContext db => session.Db;

    private const string Prefix = "host-drain:";

    public async Task<IReadOnlyDictionary<string, HostDrain>> AllAsync(CancellationToken ct)
    {
        var rows = await db.Settings.AsNoTracking().Where(s => s.Key.StartsWith(Prefix)).ToListAsync(ct);
        return rows.Select(r => KrautJson.Deserialize<HostDrain>(r.Value)).ToDictionary(d => d.Uri, StringComparer.Ordinal);
    }

    public async Task SaveAsync(HostDrain drain, CancellationToken ct)
    {
        var row = await db.Settings.FindAsync([Prefix + drain.Uri], ct);
        if (row is null) db.Settings.Add(new SettingRow { Key = Prefix + drain.Uri, Value = KrautJson.Serialize(drain) });
        else row.Value = KrautJson.Serialize(drain);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
    }
}
