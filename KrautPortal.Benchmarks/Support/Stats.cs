using System.Globalization;

namespace KrautPortal.Benchmarks.Support;

/// <summary>Median, p95 and max of a set of timings in milliseconds (nearest-rank percentiles).</summary>
public sealed record Stats(int Count, double P50, double P95, double Max)
{
    public static Stats Of(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0) return new Stats(0, double.NaN, double.NaN, double.NaN);
        return new Stats(sorted.Length, Percentile(sorted, 50), Percentile(sorted, 95), sorted[^1]);
    }

    private static double Percentile(double[] sorted, double p)
    {
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static string Ms(double value) => double.IsNaN(value) ? "–" : value switch
    {
        < 1 => value.ToString("0.000", CultureInfo.InvariantCulture),
        < 10 => value.ToString("0.00", CultureInfo.InvariantCulture),
        < 1000 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0", CultureInfo.InvariantCulture),
    };

    public static string Ratio(double numerator, double denominator) =>
        double.IsNaN(numerator) || double.IsNaN(denominator) || denominator <= 0
            ? "–"
            : (numerator / denominator).ToString("0.00", CultureInfo.InvariantCulture) + "×";
}
