using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Usage;

/// <summary>A VM's cumulative counters at one moment, summed over its disks and NICs.</summary>
public sealed record UsageCounters(
    DateTime At,
    bool Running,
    ulong? CpuTimeNs,
    ulong DiskReadBytes,
    ulong DiskWriteBytes,
    ulong DiskReadRequests,
    ulong DiskWriteRequests,
    ulong NetRxBytes,
    ulong NetTxBytes,
    ulong NetRxPackets,
    ulong NetTxPackets)
{
    public static UsageCounters From(DomainStats s, DateTime at) => new(
        at,
        IsActive(s.State),
        s.CpuTimeNanoseconds,
        Sum(s.Blocks, b => b.ReadBytes),
        Sum(s.Blocks, b => b.WriteBytes),
        Sum(s.Blocks, b => b.ReadRequests),
        Sum(s.Blocks, b => b.WriteRequests),
        Sum(s.Interfaces, i => i.ReceiveBytes),
        Sum(s.Interfaces, i => i.TransmitBytes),
        Sum(s.Interfaces, i => i.ReceivePackets),
        Sum(s.Interfaces, i => i.TransmitPackets));

    /// <summary>A domain that holds its resources: running, blocked, paused, shutting down or suspended.</summary>
    public static bool IsActive(DomainState state) => state is not (DomainState.Shutoff or DomainState.Crashed or DomainState.NoState);

    private static ulong Sum<T>(IReadOnlyList<T> items, Func<T, ulong> value)
    {
        ulong sum = 0;
        foreach (var item in items) sum += value(item);
        return sum;
    }
}

/// <summary>Rates between two samples of one VM.</summary>
public sealed record UsageRates(
    double Seconds,
    double? CpuPercent,
    double DiskReadBytesPerSecond,
    double DiskWriteBytesPerSecond,
    double NetRxBytesPerSecond,
    double NetTxBytesPerSecond)
{
    /// <summary>
    /// Rates from <paramref name="previous"/> to <paramref name="current"/>, or null when there is no usable interval
    /// (no previous sample, the VM was not running at both, the clock went back, or the gap is longer than
    /// <paramref name="maxGap"/>: Kraut was down and cannot say what happened). CPU % is of the VM's own vCPUs (0–100).
    /// </summary>
    public static UsageRates? Between(UsageCounters? previous, UsageCounters current, int vcpus, TimeSpan maxGap)
    {
        if (previous is null || !previous.Running || !current.Running) return null;
        var seconds = (current.At - previous.At).TotalSeconds;
        if (seconds <= 0 || seconds > maxGap.TotalSeconds) return null;

        double? cpu = previous.CpuTimeNs is { } p && current.CpuTimeNs is { } c
            ? Math.Min(100, Delta(p, c) / (seconds * 1e9 * Math.Max(1, vcpus)) * 100)
            : null;
        return new UsageRates(
            seconds,
            cpu,
            Delta(previous.DiskReadBytes, current.DiskReadBytes) / seconds,
            Delta(previous.DiskWriteBytes, current.DiskWriteBytes) / seconds,
            Delta(previous.NetRxBytes, current.NetRxBytes) / seconds,
            Delta(previous.NetTxBytes, current.NetTxBytes) / seconds);
    }

    /// <summary>
    /// How much a counter grew. A smaller value means the counter restarted (the domain restarted, a disk or NIC was
    /// replaced): all it counted since then is the value itself. Never negative.
    /// </summary>
    public static ulong Delta(ulong previous, ulong current) => current >= previous ? current - previous : current;
}
