using System.Security.Cryptography;
using System.Text;
using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Hosts;

/// <summary>Who cordoned a host and when. A cordoned host keeps its VMs but the scheduler gives it no new ones.</summary>
public sealed record HostCordon(string Uri, string By, DateTime At);

/// <summary>
/// Cordons, kept in the settings table (one row per cordoned host), so every replica and every restart sees them; the
/// scheduler reads them in the create's transaction.
/// </summary>
public sealed class HostCordons(DbSession session, TimeProvider time)
{
    private KrautDbContext db => session.Db;

    private const string Prefix = "host-cordon:";

    public async Task<IReadOnlyDictionary<string, HostCordon>> AllAsync(CancellationToken ct)
    {
        var rows = await db.Settings.AsNoTracking().Where(s => s.Key.StartsWith(Prefix)).ToListAsync(ct);
        return rows.Select(r => KrautJson.Deserialize<HostCordon>(r.Value)).ToDictionary(c => c.Uri, StringComparer.Ordinal);
    }

    /// <summary>Cordons <paramref name="uri"/>; false when it already was (the first cordon's author and time stay).</summary>
    public async Task<bool> CordonAsync(string uri, string by, CancellationToken ct)
    {
        if (await db.Settings.FindAsync([Prefix + uri], ct) is not null) return false;
        db.Settings.Add(new SettingRow { Key = Prefix + uri, Value = KrautJson.Serialize(new HostCordon(uri, by, time.GetUtcNow().UtcDateTime)) });
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            // Another replica cordoned it at the same moment: cordoned either way.
            db.ChangeTracker.Clear();
            return false;
        }
    }

    /// <summary>Uncordons <paramref name="uri"/>; false when it was not cordoned.</summary>
    public async Task<bool> UncordonAsync(string uri, CancellationToken ct) =>
        await db.Settings.Where(s => s.Key == Prefix + uri).ExecuteDeleteAsync(ct) > 0;
}

/// <summary>A host's id in URLs: its URI has slashes, so a short hash of it stands in (stable across replicas and restarts).</summary>
public static class HostIds
{
    public static string For(string uri) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(uri)))[..12];
}
