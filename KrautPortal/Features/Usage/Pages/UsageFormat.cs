using System.Globalization;
using MudBlazor;
using MudBlazor.Charts;

namespace KrautPortal.Features.Usage.Pages;

/// <summary>Human units for the usage pages, and the chart series they draw.</summary>
public static class UsageFormat
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    public static string Bytes(double? bytes)
    {
        if (bytes is not { } b) return "—";
        var unit = 0;
        while (Math.Abs(b) >= 1024 && unit < Units.Length - 1)
        {
            b /= 1024;
            unit++;
        }

        return (unit == 0 ? b.ToString("0", CultureInfo.InvariantCulture) : b.ToString("0.0", CultureInfo.InvariantCulture)) + " " + Units[unit];
    }

    public static string Rate(double? bytesPerSecond) => bytesPerSecond is null ? "—" : Bytes(bytesPerSecond) + "/s";

    public static string Percent(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) + " %" : "—";

    public static string Hours(double value) => value.ToString(value < 10 ? "0.##" : "0.#", CultureInfo.InvariantCulture);

    /// <summary>A chart series from the points that have a value (a VM's first sample has no rates yet).</summary>
    public static ChartSeries<double> Series<T>(string name, IEnumerable<T> points, Func<T, DateTime> at, Func<T, double?> value, double scale = 1) => new()
    {
        Name = name,
        Data = points.Where(p => value(p) is not null).Select(p => new TimeValue<double>(at(p).ToLocalTime(), value(p)!.Value / scale)).ToList(),
    };

    /// <summary>Labels far enough apart for a laptop screen: about six along the axis.</summary>
    public static TimeSeriesChartOptions Options(UsageRange range, string yFormat) => new()
    {
        TimeLabelSpacing = range.Span / 6,
        TimeLabelFormat = range.Span > TimeSpan.FromDays(1) ? "MM-dd" : "HH:mm",
        TooltipTimeLabelFormat = range.Span > TimeSpan.FromDays(1) ? "MM-dd HH:mm" : "HH:mm:ss",
        YAxisFormat = yFormat,
        ShowLegend = true,
        LineStrokeWidth = 2,
    };
}
