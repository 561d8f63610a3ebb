using KrautPortal.Features.Store;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Usage;

/// <summary>One VM's figures at one moment (a raw sample) or over one hour (averages).</summary>
public sealed record UsagePoint(DateTime At, double? CpuPercent, double? MemoryUsedBytes, double? DiskReadBytesPerSecond,
    double? DiskWriteBytesPerSecond, double? NetRxBytesPerSecond, double? NetTxBytesPerSecond);

/// <summary>Many VMs' figures at one moment: how many ran (on average over an hour), their vCPUs, and their summed rates.</summary>
/// <param name="CpuPercent">Of the running VMs' vCPUs, weighted by their vCPUs.</param>
public sealed record UsageTotalPoint(DateTime At, double RunningVms, double Vcpus, double? CpuPercent, double MemoryUsedBytes,
    double DiskReadBytesPerSecond, double DiskWriteBytesPerSecond, double NetRxBytesPerSecond, double NetTxBytesPerSecond);

/// <summary>Reads stored usage for the API and the pages. Callers check who may see what.</summary>
public sealed class UsageQueries(DbSession session, TimeProvider time)
{
    private KrautDbContext db => session.Db;

    public async Task<IReadOnlyList<UsagePoint>> VmSeriesAsync(Guid vmId, UsageRange range, CancellationToken ct)
    {
        var since = time.GetUtcNow().UtcDateTime - range.Span;
        if (range.FromRawSamples)
        {
            return await db.UsageSamples.AsNoTracking().Where(s => s.VmId == vmId && s.At >= since).OrderBy(s => s.At)
                .Select(s => new UsagePoint(s.At, s.CpuPercent, s.MemoryUsedBytes, s.DiskReadBytesPerSecond,
                    s.DiskWriteBytesPerSecond, s.NetRxBytesPerSecond, s.NetTxBytesPerSecond))
                .ToListAsync(ct);
        }

        return await db.UsageHours.AsNoTracking().Where(h => h.VmId == vmId && h.Hour >= since).OrderBy(h => h.Hour)
            .Select(h => new UsagePoint(h.Hour, h.CpuPercent, h.MemoryUsedBytes, h.DiskReadBytesPerSecond,
                h.DiskWriteBytesPerSecond, h.NetRxBytesPerSecond, h.NetTxBytesPerSecond))
            .ToListAsync(ct);
    }

    /// <summary>Totals over every VM, or only those of <paramref name="owners"/> (null: all), grouped in SQL.</summary>
    public async Task<IReadOnlyList<UsageTotalPoint>> TotalsAsync(UsageRange range, IReadOnlyList<string>? owners, CancellationToken ct)
    {
        var since = time.GetUtcNow().UtcDateTime - range.Span;
        if (range.FromRawSamples)
        {
            var samples = db.UsageSamples.AsNoTracking().Where(s => s.At >= since);
            if (owners is not null) samples = samples.Where(s => owners.Contains(s.Owner));
            var raw = await samples.GroupBy(s => s.At).Select(g => new
            {
                At = g.Key,
                Running = g.Count(),
                Vcpus = g.Sum(s => s.Vcpus),
                CpuWeighted = g.Sum(s => s.CpuPercent * s.Vcpus),
                CpuVcpus = g.Sum(s => s.CpuPercent == null ? 0 : s.Vcpus),
                Memory = g.Sum(s => (double?)s.MemoryUsedBytes) ?? 0,
                DiskRead = g.Sum(s => s.DiskReadBytesPerSecond) ?? 0,
                DiskWrite = g.Sum(s => s.DiskWriteBytesPerSecond) ?? 0,
                NetRx = g.Sum(s => s.NetRxBytesPerSecond) ?? 0,
                NetTx = g.Sum(s => s.NetTxBytesPerSecond) ?? 0,
            }).ToListAsync(ct);
            return [.. raw.OrderBy(r => r.At).Select(r => new UsageTotalPoint(r.At, r.Running, r.Vcpus,
                r.CpuVcpus == 0 ? null : r.CpuWeighted / r.CpuVcpus, r.Memory, r.DiskRead, r.DiskWrite, r.NetRx, r.NetTx))];
        }

        var hours = db.UsageHours.AsNoTracking().Where(h => h.Hour >= since);
        if (owners is not null) hours = hours.Where(h => owners.Contains(h.Owner));
        var rolled = await hours.GroupBy(h => h.Hour).Select(g => new
        {
            At = g.Key,
            Running = g.Sum(h => h.RunningSeconds),
            VcpuSeconds = g.Sum(h => h.VcpuSeconds),
            CpuWeighted = g.Sum(h => h.CpuPercent * h.VcpuSeconds),
            CpuVcpuSeconds = g.Sum(h => h.CpuPercent == null ? 0 : h.VcpuSeconds),
            Memory = g.Sum(h => h.MemoryUsedBytes) ?? 0,
            DiskRead = g.Sum(h => h.DiskReadBytesPerSecond) ?? 0,
            DiskWrite = g.Sum(h => h.DiskWriteBytesPerSecond) ?? 0,
            NetRx = g.Sum(h => h.NetRxBytesPerSecond) ?? 0,
            NetTx = g.Sum(h => h.NetTxBytesPerSecond) ?? 0,
        }).ToListAsync(ct);
        return [.. rolled.OrderBy(r => r.At).Select(r => new UsageTotalPoint(r.At, r.Running / 3600, r.VcpuSeconds / 3600,
            r.CpuVcpuSeconds == 0 ? null : r.CpuWeighted / r.CpuVcpuSeconds, r.Memory, r.DiskRead, r.DiskWrite, r.NetRx, r.NetTx))];
    }

    /// <summary>
    /// Usage per owner in [from, to): hourly rollups up to where they end, raw samples after. Rollups count whole hours,
    /// so a period's edges are as exact as an hour where they fall into rolled-up history.
    /// </summary>
    public async Task<IReadOnlyList<ShowbackLine>> ShowbackAsync(DateTime from, DateTime to, IReadOnlyList<string>? owners, CancellationToken ct)
    {
        var boundary = await UsageMaintenance.RolledUpUntilAsync(db, ct) ?? from;
        var hourlyEnd = boundary < to ? boundary : to;
        var rawStart = boundary > from ? boundary : from;

        var hours = db.UsageHours.AsNoTracking().Where(h => h.Hour >= from && h.Hour < hourlyEnd);
        var samples = db.UsageSamples.AsNoTracking().Where(s => s.At >= rawStart && s.At < to);
        if (owners is not null)
        {
            hours = hours.Where(h => owners.Contains(h.Owner));
            samples = samples.Where(s => owners.Contains(s.Owner));
        }

        var fromHours = await hours.GroupBy(h => new { h.Owner, h.VmId }).Select(g => new Showback.Part(g.Key.Owner, g.Key.VmId,
            g.Sum(h => h.RunningSeconds), g.Sum(h => h.VcpuSeconds), g.Sum(h => h.MemoryMiBSeconds), g.Sum(h => h.DiskGiBSeconds))).ToListAsync(ct);
        var fromSamples = await samples.GroupBy(s => new { s.Owner, s.VmId }).Select(g => new Showback.Part(g.Key.Owner, g.Key.VmId,
            g.Sum(s => s.Seconds), g.Sum(s => s.Seconds * s.Vcpus), g.Sum(s => s.Seconds * s.MemoryMiB),
            g.Sum(s => s.Seconds * (s.DiskCapacityBytes ?? 0) / Showback.GiB))).ToListAsync(ct);
        return Showback.Sum(fromHours.Concat(fromSamples));
    }

    /// <summary>The owners whose showback <paramref name="actor"/> may see: everyone's for an administrator (null).</summary>
    public static IReadOnlyList<string>? OwnersVisibleTo(Actor actor) => actor.IsAdmin ? null : [actor.Name, .. actor.Groups];
}
