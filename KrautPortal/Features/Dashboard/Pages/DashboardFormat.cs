using System.Globalization;

namespace KrautPortal.Features.Dashboard.Pages;

/// <summary>Human units for the dashboards: the API keeps bytes and counts.</summary>
public static class DashboardFormat
{
    public const double GiB = 1024.0 * 1024 * 1024;

    public static string Bytes(double bytes) => bytes switch
    {
        >= 1024 * GiB => (bytes / (1024 * GiB)).ToString("0.0", CultureInfo.InvariantCulture) + " TiB",
        >= GiB => (bytes / GiB).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1024 * 1024 => (bytes / (1024 * 1024)).ToString("0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / 1024).ToString("0", CultureInfo.InvariantCulture) + " KiB",
    };

    public static string Count(double value) => value.ToString(value % 1 == 0 ? "0" : "0.0", CultureInfo.InvariantCulture);

    public static string Percent(double part, double whole) =>
        whole <= 0 ? "–" : (part / whole).ToString("0%", CultureInfo.InvariantCulture);
}
