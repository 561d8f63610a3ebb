namespace KrautPortal.Features.Usage;

/// <summary>The <c>Usage</c> configuration section: how often the sampler asks the hosts, and how long samples stay.</summary>
public sealed class UsageOptions
{
    public int IntervalSeconds { get; set; } = 60;

    /// <summary>Raw samples older than this are deleted (they are in the hourly rollups by then).</summary>
    public int RawRetentionHours { get; set; } = 48;

    public int HourlyRetentionDays { get; set; } = 400;

    public TimeSpan Interval => TimeSpan.FromSeconds(Math.Max(1, IntervalSeconds));
}
