using KrautPortal.Features.BackupSchedules;

namespace KrautPortal.Tests.BackupSchedules;

/// <summary>Which intervals a schedule accepts, and when it is due: from the record's last run, never from the process's memory.</summary>
public sealed class ScheduleEveryTests
{
    private static readonly DateTime Created = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData("hourly", 60)]
    [InlineData("Daily", 24 * 60)]
    [InlineData("weekly", 7 * 24 * 60)]
    [InlineData("6h", 360)]
    [InlineData("30m", 30)]
    [InlineData("2d", 2 * 24 * 60)]
    public void Parse_KnowsTheNamesAndIntervals(string text, int minutes) => Assert.Equal(TimeSpan.FromMinutes(minutes), ScheduleEvery.Parse(text));

    [Theory]
    [InlineData("fortnightly")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("1m")]
    [InlineData("400d")]
    [InlineData("-6h")]
    [InlineData("6 h")]
    [InlineData("６h")]
    public void Parse_RefusesEverythingElse(string? text) => Assert.Null(ScheduleEvery.Parse(text));

    [Fact]
    public void NeverRun_IsDueAtOnce_ThenEveryIntervalAfterTheLastRunsStart()
    {
        var daily = TimeSpan.FromDays(1);
        Assert.Equal(Created, ScheduleEvery.NextRun(null, Created, daily));
        Assert.True(ScheduleEvery.IsDue(null, Created, daily, Created));

        var lastRun = Created.AddHours(5);
        Assert.Equal(lastRun + daily, ScheduleEvery.NextRun(lastRun, Created, daily));
        Assert.False(ScheduleEvery.IsDue(lastRun, Created, daily, lastRun + daily - TimeSpan.FromSeconds(1)));
        Assert.True(ScheduleEvery.IsDue(lastRun, Created, daily, lastRun + daily));
    }

    [Fact]
    public void RunsMissedWhileDown_AreMadeOnce_NotOncePerMissedInterval()
    {
        var hourly = TimeSpan.FromHours(1);
        var lastRun = Created;
        var backAfterADay = Created.AddDays(1);
        Assert.True(ScheduleEvery.IsDue(lastRun, Created, hourly, backAfterADay));
        // The run made on return is the new last run: the next one is an hour after it, not "23 more now".
        Assert.False(ScheduleEvery.IsDue(backAfterADay, Created, hourly, backAfterADay.AddMinutes(1)));
    }
}
