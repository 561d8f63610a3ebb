using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Usage;

/// <summary>Rolls finished hours of raw samples up into hourly rows, then deletes what is past its retention.</summary>
public static class UsageMaintenance
{
    public static async Task RunAsync(KrautDbContext db, DateTime now, UsageOptions options, CancellationToken ct)
    {
        var currentHour = HourOf(now);
        var rolledUntil = await RolledUpUntilAsync(db, ct) ?? DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc);
        var from = await db.UsageSamples.Where(s => s.At >= rolledUntil).MinAsync(s => (DateTime?)s.At, ct);
        if (from is { } start)
        {
            // Hour by hour, so a long backlog (Kraut was down) never loads every sample at once.
            for (var hour = HourOf(start); hour < currentHour; hour = hour.AddHours(1))
            {
                var next = hour.AddHours(1);
                var samples = await db.UsageSamples.AsNoTracking().Where(s => s.At >= hour && s.At < next).ToListAsync(ct);
                db.UsageHours.AddRange(Rollup(hour, samples));
                await db.SaveChangesAsync(ct);
            }
        }

        var rawCutoff = now.AddHours(-options.RawRetentionHours);
        var hourCutoff = now.AddDays(-options.HourlyRetentionDays);
        // Never a raw sample that is not rolled up yet, whatever the retention says.
        if (rawCutoff > currentHour) rawCutoff = currentHour;
        await db.UsageSamples.Where(s => s.At < rawCutoff).ExecuteDeleteAsync(ct);
        await db.UsageHours.Where(h => h.Hour < hourCutoff).ExecuteDeleteAsync(ct);
    }

    /// <summary>
    /// Where hourly rows end and raw samples take over (the hour after the last rolled-up one), or null before the
    /// first roll-up. Hours without rows had no running VMs, so no raw samples either: the boundary stays exact.
    /// </summary>
    public static async Task<DateTime?> RolledUpUntilAsync(KrautDbContext db, CancellationToken ct) =>
        await db.UsageHours.MaxAsync(h => (DateTime?)h.Hour, ct) is { } last ? last.AddHours(1) : null;

    /// <summary>One hourly row per VM: averages of the rates it reported, sums of what showback charges.</summary>
    public static IEnumerable<UsageHourRow> Rollup(DateTime hour, IEnumerable<UsageSampleRow> samples) =>
        samples.GroupBy(s => s.VmId).Select(g => new UsageHourRow
        {
            VmId = g.Key,
            Hour = hour,
            Owner = g.OrderBy(s => s.At).Last().Owner,
            Samples = g.Count(),
            RunningSeconds = g.Sum(s => s.Seconds),
            VcpuSeconds = g.Sum(s => s.Seconds * s.Vcpus),
            MemoryMiBSeconds = g.Sum(s => s.Seconds * s.MemoryMiB),
            DiskGiBSeconds = g.Sum(s => s.Seconds * (s.DiskCapacityBytes ?? 0) / Showback.GiB),
            CpuPercent = Average(g, s => s.CpuPercent),
            MemoryUsedBytes = Average(g, s => s.MemoryUsedBytes),
            DiskReadBytesPerSecond = Average(g, s => s.DiskReadBytesPerSecond),
            DiskWriteBytesPerSecond = Average(g, s => s.DiskWriteBytesPerSecond),
            NetRxBytesPerSecond = Average(g, s => s.NetRxBytesPerSecond),
            NetTxBytesPerSecond = Average(g, s => s.NetTxBytesPerSecond),
        });

    public static DateTime HourOf(DateTime t) => new(t.Year, t.Month, t.Day, t.Hour, 0, 0, DateTimeKind.Utc);

    private static double? Average<T>(IEnumerable<UsageSampleRow> rows, Func<UsageSampleRow, T?> value) where T : struct, IConvertible
    {
        var values = rows.Select(value).Where(v => v.HasValue).Select(v => Convert.ToDouble(v!.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return values.Count == 0 ? null : values.Average();
    }
}
