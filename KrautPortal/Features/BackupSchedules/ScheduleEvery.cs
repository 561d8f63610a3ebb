using System.Globalization;
using System.Text.RegularExpressions;

namespace KrautPortal.Features.BackupSchedules;

/// <summary>How often a schedule runs, and when it is due: always counted from the record, so a restart neither skips nor doubles a run.</summary>
public static partial class ScheduleEvery
{
    public static readonly TimeSpan Shortest = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan Longest = TimeSpan.FromDays(366);

    public const string Explained = "every is hourly, daily, weekly, or an interval such as 30m, 6h or 2d (from 5 minutes to 366 days).";

    /// <summary>The interval, or null when the text is none of the forms.</summary>
    public static TimeSpan? Parse(string? text)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "hourly": return TimeSpan.FromHours(1);
            case "daily": return TimeSpan.FromDays(1);
            case "weekly": return TimeSpan.FromDays(7);
        }
        var m = Interval().Match(text?.Trim().ToLowerInvariant() ?? "");
        if (!m.Success || !int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return null;
        var span = m.Groups[2].Value switch { "m" => TimeSpan.FromMinutes(n), "h" => TimeSpan.FromHours(n), _ => TimeSpan.FromDays(n) };
        return span < Shortest || span > Longest ? null : span;
    }

    /// <summary>
    /// When the next run is due: <paramref name="every"/> after the last run's start; a schedule that never ran is due at
    /// once. A run missed while the portal was down is made once when it is back, not once per missed interval.
    /// </summary>
    public static DateTime NextRun(DateTime? lastRunAt, DateTime createdAt, TimeSpan every) => lastRunAt is { } last ? last + every : createdAt;

    public static bool IsDue(DateTime? lastRunAt, DateTime createdAt, TimeSpan every, DateTime now) => NextRun(lastRunAt, createdAt, every) <= now;

    [GeneratedRegex("^([0-9]{1,6})(m|h|d)$")]
    private static partial Regex Interval();
}
