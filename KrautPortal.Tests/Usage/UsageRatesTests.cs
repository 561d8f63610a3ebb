using KrautPortal.Features.Usage;
using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Usage;

/// <summary>Rates between two samples: counters that restart never give negative (or huge) rates.</summary>
public sealed class UsageRatesTests
{
    private static readonly DateTime T0 = new(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan MaxGap = TimeSpan.FromMinutes(3);

    private static UsageCounters At(double seconds, ulong cpuNs, ulong diskWrite, ulong netRx = 0, bool running = true) =>
        new(T0.AddSeconds(seconds), running, cpuNs, 0, diskWrite, 0, 0, netRx, 0, 0, 0);

    [Fact]
    public void Between_GrowingCounters_GivesPerSecondRates_AndCpuPercentOfTheVmsVcpus()
    {
        var rates = UsageRates.Between(At(0, 0, 0), At(60, 60_000_000_000, 6_000_000, 600), vcpus: 2, MaxGap);

        Assert.NotNull(rates);
        Assert.Equal(60, rates.Seconds);
        Assert.Equal(50, rates.CpuPercent!.Value, 6); // 60 s of CPU in 60 s on 2 vCPUs
        Assert.Equal(100_000, rates.DiskWriteBytesPerSecond, 6);
        Assert.Equal(10, rates.NetRxBytesPerSecond, 6);
    }

    [Fact]
    public void Between_ACounterSmallerThanBefore_CountsFromItsReset_NeverNegative()
    {
        // The domain restarted between the samples: CPU time and disk counters began again from zero.
        var rates = UsageRates.Between(At(0, 500_000_000_000, 9_000_000), At(60, 6_000_000_000, 600_000), vcpus: 1, MaxGap);

        Assert.NotNull(rates);
        Assert.Equal(10, rates.CpuPercent!.Value, 6);
        Assert.Equal(10_000, rates.DiskWriteBytesPerSecond, 6);
        Assert.Equal(0UL, UsageRates.Delta(5, 0));
        Assert.Equal(3UL, UsageRates.Delta(5, 3));
        Assert.Equal(2UL, UsageRates.Delta(5, 7));
    }

    [Fact]
    public void Between_WithoutAUsableInterval_GivesNoRates()
    {
        Assert.Null(UsageRates.Between(null, At(60, 1, 1), 1, MaxGap));
        Assert.Null(UsageRates.Between(At(0, 0, 0, running: false), At(60, 1, 1), 1, MaxGap));
        Assert.Null(UsageRates.Between(At(0, 0, 0), At(60, 1, 1, running: false), 1, MaxGap));
        Assert.Null(UsageRates.Between(At(60, 0, 0), At(0, 1, 1), 1, MaxGap)); // the clock went back
        Assert.Null(UsageRates.Between(At(0, 0, 0), At(3600, 1, 1), 1, MaxGap)); // Kraut was down: no rate, no charge
    }

    [Fact]
    public void Between_CpuBeyondTheVcpus_IsCappedAt100Percent_AndMissingCpuTimeGivesNoCpu()
    {
        Assert.Equal(100, UsageRates.Between(At(0, 0, 0), At(10, 30_000_000_000, 0), 1, MaxGap)!.CpuPercent);
        var noCpu = new UsageCounters(T0.AddSeconds(10), true, null, 0, 0, 0, 0, 0, 0, 0, 0);
        Assert.Null(UsageRates.Between(At(0, 0, 0), noCpu, 1, MaxGap)!.CpuPercent);
    }

    [Fact]
    public void Counters_SumEveryDiskAndNic_AndCountOnlyActiveDomainsAsRunning()
    {
        var stats = new DomainStats(Guid.NewGuid(), "d", DomainState.Running, 5, 1, null, null, null, null, null, null,
            [new BlockStats("vda", null, 1, 2, 3, 4, null, null, null), new BlockStats("vdb", null, 10, 20, 30, 40, null, null, null)],
            [new InterfaceStats("vnet0", 100, 200, 1, 2, 0, 0, 0, 0), new InterfaceStats("vnet1", 1000, 2000, 10, 20, 0, 0, 0, 0)]);

        var c = UsageCounters.From(stats, T0);

        Assert.Equal((11UL, 22UL, 33UL, 44UL), (c.DiskReadBytes, c.DiskWriteBytes, c.DiskReadRequests, c.DiskWriteRequests));
        Assert.Equal((1100UL, 2200UL, 11UL, 22UL), (c.NetRxBytes, c.NetTxBytes, c.NetRxPackets, c.NetTxPackets));
        Assert.True(c.Running);
        Assert.False(UsageCounters.From(stats with { State = DomainState.Shutoff }, T0).Running);
        Assert.True(UsageCounters.From(stats with { State = DomainState.Paused }, T0).Running);
    }

    [Fact]
    public void MemoryUsed_PrefersTheGuestsView_ThenRss_ThenTheBalloon()
    {
        var stats = new DomainStats(Guid.NewGuid(), "d", DomainState.Running, null, 1, 1000, 2000, 700, 400, 1000, 300, [], []);

        Assert.Equal(600 * 1024, UsageSample.MemoryUsedBytes(stats));
        Assert.Equal(700 * 1024, UsageSample.MemoryUsedBytes(stats with { MemoryUsableKiB = null }));
        Assert.Equal(1000 * 1024, UsageSample.MemoryUsedBytes(stats with { MemoryUsableKiB = null, MemoryRssKiB = null }));
        Assert.Null(UsageSample.MemoryUsedBytes(stats with { MemoryUsableKiB = null, MemoryRssKiB = null, MemoryCurrentKiB = null }));
    }
}
