using KrautPortal.Features.Store;
using KrautPortal.Features.Usage;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Tests.Usage;

/// <summary>Downsampling, retention and showback over the real usage tables (migrated SQLite).</summary>
public sealed class UsageHistoryTests
{
    private static readonly DateTime Ten = new(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc);
    private static readonly UsageOptions Options = new();

    /// <summary>A VM sampled every minute from <paramref name="from"/> for <paramref name="minutes"/> minutes; the first sample charges nothing.</summary>
    private static IEnumerable<UsageSampleRow> Running(Guid vm, string owner, DateTime from, int minutes, int vcpus = 2, int memoryMiB = 1024, double cpu = 50) =>
        Enumerable.Range(0, minutes + 1).Select(i => new UsageSampleRow
        {
            At = from.AddMinutes(i),
            VmId = vm,
            Owner = owner,
            HostUri = "test:///default",
            Seconds = i == 0 ? 0 : 60,
            Vcpus = vcpus,
            MemoryMiB = memoryMiB,
            DiskCapacityBytes = 10L << 30,
            CpuPercent = i == 0 ? null : cpu,
            MemoryUsedBytes = 512L << 20,
            DiskWriteBytesPerSecond = i == 0 ? null : 1000 * i,
        });

    private static async Task AddAsync(UsageDatabase database, IEnumerable<UsageSampleRow> rows)
    {
        await using var db = database.Context();
        db.UsageSamples.AddRange(rows);
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Maintenance_RollsUpFinishedHoursOnly_OncePerHour_WithAveragesAndSums()
    {
        await using var database = await UsageDatabase.CreateAsync();
        var vm = Guid.NewGuid();
        await AddAsync(database, Running(vm, "alice", Ten, 90));

        await using (var db = database.Context()) await UsageMaintenance.RunAsync(db, Ten.AddMinutes(95), Options, default);
        await using (var db = database.Context()) await UsageMaintenance.RunAsync(db, Ten.AddMinutes(100), Options, default);

        await using var check = database.Context();
        var hour = Assert.Single(await check.UsageHours.ToListAsync());
        Assert.Equal((vm, Ten, "alice", 60), (hour.VmId, hour.Hour, hour.Owner, hour.Samples));
        Assert.Equal(59 * 60, hour.RunningSeconds); // 10:00's sample starts the VM's count, 10:01..10:59 charge a minute each
        Assert.Equal(59 * 60 * 2, hour.VcpuSeconds);
        Assert.Equal(59 * 60 * 1024d, hour.MemoryMiBSeconds);
        Assert.Equal(50, hour.CpuPercent);
        Assert.Equal(Enumerable.Range(1, 59).Average(i => 1000d * i), hour.DiskWriteBytesPerSecond);
        Assert.Equal(512L << 20, hour.MemoryUsedBytes);
        // Raw samples stay for their retention: the last day's charts are drawn from them.
        Assert.Equal(91, await check.UsageSamples.CountAsync());
    }

    [Fact]
    public async Task Maintenance_DeletesRawSamplesAndHoursPastTheirRetention_ButNeverARawSampleNotRolledUp()
    {
        await using var database = await UsageDatabase.CreateAsync();
        var vm = Guid.NewGuid();
        await AddAsync(database, Running(vm, "alice", Ten, 10));
        await using (var db = database.Context())
        {
            db.UsageHours.Add(new UsageHourRow { VmId = vm, Hour = Ten.AddDays(-401), Owner = "alice", RunningSeconds = 3600 });
            db.UsageHours.Add(new UsageHourRow { VmId = vm, Hour = Ten.AddDays(-399), Owner = "alice", RunningSeconds = 3600 });
            await db.SaveChangesAsync();
        }

        // No raw retention at all: the samples of the running hour must survive anyway.
        await using (var db = database.Context())
            await UsageMaintenance.RunAsync(db, Ten.AddMinutes(30), new UsageOptions { RawRetentionHours = 0 }, default);
        await using (var db = database.Context())
        {
            Assert.Equal(11, await db.UsageSamples.CountAsync());
            Assert.Equal([Ten.AddDays(-399)], await db.UsageHours.Select(h => h.Hour).ToListAsync());
        }

        await using (var db = database.Context()) await UsageMaintenance.RunAsync(db, Ten.AddHours(48).AddMinutes(11), Options, default);
        await using (var db = database.Context())
        {
            Assert.Equal(0, await db.UsageSamples.CountAsync());
            Assert.Contains(Ten, await db.UsageHours.Select(h => h.Hour).ToListAsync());
        }
    }

    [Fact]
    public async Task Showback_AVmRunningTwoHoursWithTwoVcpus_IsFourVcpuHours_AcrossRolledUpAndRawSamples()
    {
        await using var database = await UsageDatabase.CreateAsync();
        await AddAsync(database, Running(Guid.NewGuid(), "alice", Ten, 120, vcpus: 2, memoryMiB: 1536));
        await AddAsync(database, Running(Guid.NewGuid(), "bob", Ten, 30, vcpus: 1, memoryMiB: 1024));
        // 10:00 and 11:00 rolled up, 12:00's sample still raw.
        await using (var db = database.Context()) await UsageMaintenance.RunAsync(db, Ten.AddMinutes(150), Options, default);
        await using var query = database.Context();
        var queries = new UsageQueries(DbSession.Over(query), new FixedClock(Ten.AddMinutes(150)));

        var all = await queries.ShowbackAsync(Ten.AddHours(-1), Ten.AddHours(3), null, default);

        var alice = all.Single(l => l.Owner == "alice");
        Assert.Equal(1, alice.Vms);
        Assert.Equal(2, alice.VmHours, 9);
        Assert.Equal(4, alice.VcpuHours, 9);
        Assert.Equal(3, alice.MemoryGiBHours, 9);
        Assert.Equal(20, alice.DiskGiBHours, 9);
        var bob = all.Single(l => l.Owner == "bob");
        Assert.Equal((0.5, 0.5), (bob.VmHours, bob.VcpuHours));

        var onlyBobs = await queries.ShowbackAsync(Ten.AddHours(-1), Ten.AddHours(3), ["bob", "team-x"], default);
        Assert.Equal(["bob"], onlyBobs.Select(l => l.Owner));
        // A period after all samples charges nothing.
        Assert.Empty(await queries.ShowbackAsync(Ten.AddHours(5), Ten.AddHours(6), null, default));
    }

    [Fact]
    public async Task Totals_OfRawSamples_CountRunningVms_AndWeighCpuByVcpus()
    {
        await using var database = await UsageDatabase.CreateAsync();
        await AddAsync(database, Running(Guid.NewGuid(), "alice", Ten, 2, vcpus: 1, cpu: 100));
        await AddAsync(database, Running(Guid.NewGuid(), "bob", Ten, 2, vcpus: 3, cpu: 20));
        await using var query = database.Context();
        var queries = new UsageQueries(DbSession.Over(query), new FixedClock(Ten.AddMinutes(5)));

        var points = await queries.TotalsAsync(UsageRange.Day, null, default);

        Assert.Equal(3, points.Count);
        var last = points[^1];
        Assert.Equal((Ten.AddMinutes(2), 2d, 4d), (last.At, last.RunningVms, last.Vcpus));
        Assert.Equal(40, last.CpuPercent!.Value, 9); // (100·1 + 20·3) / 4
        Assert.Equal(2d * (512L << 20), last.MemoryUsedBytes);
        Assert.Null(points[0].CpuPercent);
        Assert.Equal([1d], (await queries.TotalsAsync(UsageRange.Day, ["alice"], default)).Select(p => p.RunningVms).Distinct());
    }

    [Fact]
    public void Csv_HasAHeader_InvariantNumbers_AndQuotesOwnersThatNeedIt()
    {
        var csv = Showback.ToCsv([
            new ShowbackLine("alice", 2, 2, 4, 3.5, 20.123456),
            new ShowbackLine("team,x", 1, 0.5, 0.5, 0.5, 0),
            new ShowbackLine("=cmd", 1, 1, 1, 1, 1),
        ]);

        Assert.Equal(
            "owner,vms,vmHours,vcpuHours,memoryGiBHours,diskGiBHours\r\n"
            + "alice,2,2,4,3.5,20.1235\r\n"
            + "\"team,x\",1,0.5,0.5,0.5,0\r\n"
            + "\"'=cmd\",1,1,1,1,1\r\n",
            csv);
    }

    [Theory]
    [InlineData("1h", true)]
    [InlineData("1d", true)]
    [InlineData("1w", false)]
    [InlineData("30d", false)]
    public void Ranges_UpToADayAreRaw_LongerOnesHourly(string name, bool raw) => Assert.Equal(raw, UsageRange.Parse(name)!.FromRawSamples);
}
