using System.Globalization;
using System.Text;

namespace KrautPortal.Features.Usage;

/// <summary>What one owner used in a period: what an operator would bill (showback).</summary>
/// <param name="Vms">How many of the owner's VMs ran in the period.</param>
public sealed record ShowbackLine(string Owner, int Vms, double VmHours, double VcpuHours, double MemoryGiBHours, double DiskGiBHours);

/// <summary>Showback arithmetic: seconds a VM ran times what it had, summed per owner.</summary>
public static class Showback
{
    public const double GiB = 1024d * 1024 * 1024;

    /// <summary>One piece of usage: a VM ran <c>Seconds</c> with these vCPUs, MiB of memory and bytes of disk (as seconds-weighted sums).</summary>
    public sealed record Part(string Owner, Guid VmId, double Seconds, double VcpuSeconds, double MemoryMiBSeconds, double DiskGiBSeconds);

    public static IReadOnlyList<ShowbackLine> Sum(IEnumerable<Part> parts) =>
        [.. parts.GroupBy(p => p.Owner, StringComparer.Ordinal)
            .Select(g => new ShowbackLine(
                g.Key,
                g.Where(p => p.Seconds > 0).Select(p => p.VmId).Distinct().Count(),
                g.Sum(p => p.Seconds) / 3600,
                g.Sum(p => p.VcpuSeconds) / 3600,
                g.Sum(p => p.MemoryMiBSeconds) / 1024 / 3600,
                g.Sum(p => p.DiskGiBSeconds) / 3600))
            .OrderBy(l => l.Owner, StringComparer.Ordinal)];

    /// <summary>RFC 4180 CSV with a header row; numbers in invariant culture, owners quoted when they need it.</summary>
    public static string ToCsv(IEnumerable<ShowbackLine> lines)
    {
        var csv = new StringBuilder("owner,vms,vmHours,vcpuHours,memoryGiBHours,diskGiBHours\r\n");
        foreach (var l in lines)
        {
            csv.Append(Quote(l.Owner)).Append(',')
                .Append(l.Vms.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(Number(l.VmHours)).Append(',')
                .Append(Number(l.VcpuHours)).Append(',')
                .Append(Number(l.MemoryGiBHours)).Append(',')
                .Append(Number(l.DiskGiBHours)).Append("\r\n");
        }

        return csv.ToString();
    }

    private static string Number(double value) => Math.Round(value, 4).ToString("0.####", CultureInfo.InvariantCulture);

    private static string Quote(string value)
    {
        // A leading =, +, - or @ would be read as a formula by spreadsheets.
        var safe = value.Length > 0 && "=+-@".Contains(value[0], StringComparison.Ordinal) ? "'" + value : value;
        return safe.IndexOfAny([',', '"', '\r', '\n']) >= 0 || safe != value ? "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : safe;
    }
}
