using System.Globalization;

namespace KrautPortal.Features.Quotas;

/// <summary>
/// The admin page's editable quota: each limit as typed (counts as whole numbers, bytes as GiB), empty for none. Converts to
/// <see cref="QuotaLimits"/> and says per field what is wrong.
/// </summary>
public sealed class QuotaForm
{
    public string Type { get; set; } = QuotaSubject.Users;
    public string Name { get; set; } = "";
    public Dictionary<string, string> Fields { get; } = QuotaMeasure.All.ToDictionary(m => m.Key, _ => "");

    public static QuotaForm From(StoredQuota quota)
    {
        var form = new QuotaForm { Type = quota.Type, Name = quota.Name };
        foreach (var m in QuotaMeasure.All)
            form.Fields[m.Key] = m.Limit(quota.Limits) is { } v ? (m.IsBytes ? Gib(v) : v.ToString(CultureInfo.InvariantCulture)) : "";
        return form;
    }

    /// <summary>Bytes as GiB for the input: whole when whole, else up to three decimals.</summary>
    public static string Gib(long bytes) => (bytes / (double)(1L << 30)).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Why the text typed for <paramref name="m"/> is no limit, or null (empty is fine: no limit, or the default's).</summary>
    public static string? Problem(QuotaMeasure m, string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (m.IsBytes)
        {
            if (!double.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var gib))
                return "A number of GiB, 0 or more (like 16 or 0.5).";
            return gib * (1L << 30) > long.MaxValue / 2 ? "That is more than Kraut can count." : null;
        }
        return long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _) ? null : "A whole number, 0 or more.";
    }

    /// <summary>The limit the text stands for: bytes for GiB fields; null when empty.</summary>
    public static long? Parse(QuotaMeasure m, string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || Problem(m, text) is not null) return null;
        return m.IsBytes
            ? (long)Math.Round(double.Parse(text.Trim(), CultureInfo.InvariantCulture) * (1L << 30))
            : long.Parse(text.Trim(), CultureInfo.InvariantCulture);
    }

    public bool IsValid => QuotaMeasure.All.All(m => Problem(m, Fields[m.Key]) is null) && QuotaSubject.Problem(Type, Name) is null;

    public QuotaLimits ToLimits()
    {
        var limits = new QuotaLimits();
        foreach (var m in QuotaMeasure.All) limits = m.With(limits, Parse(m, Fields[m.Key]));
        return limits;
    }
}
