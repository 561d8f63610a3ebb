namespace KrautPortal.Features.Usage;

/// <summary>A chart's time span: up to a day from raw samples, longer from hourly rollups.</summary>
public sealed record UsageRange(string Name, TimeSpan Span)
{
    public static readonly UsageRange Hour = new("1h", TimeSpan.FromHours(1));
    public static readonly UsageRange Day = new("1d", TimeSpan.FromDays(1));
    public static readonly UsageRange Week = new("1w", TimeSpan.FromDays(7));
    public static readonly UsageRange Month = new("30d", TimeSpan.FromDays(30));

    public static readonly IReadOnlyList<UsageRange> All = [Hour, Day, Week, Month];

    public bool FromRawSamples => Span <= Day.Span;

    public static UsageRange? Parse(string? name) => All.FirstOrDefault(r => r.Name == (name ?? "1h"));
}
