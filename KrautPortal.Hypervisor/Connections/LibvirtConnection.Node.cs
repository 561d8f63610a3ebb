using System.Text;
using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

// The host's own figures: CPUs, memory, how much is free and how busy its CPUs were.
public sealed partial class LibvirtConnection
{
    private readonly Lock _cpuTicksLock = new();
    private CpuTicks? _lastCpuTicks;

    /// <summary>
    /// What the host has (virNodeGetInfo) with its free memory (virNodeGetMemoryStats) and the busy share of its
    /// CPUs since the previous call on this connection (virNodeGetCPUStats). A figure the driver lacks is null:
    /// the test driver has no memory statistics, and its CPU counters never move.
    /// </summary>
    public NodeFacts GetNodeFacts()
    {
        ThrowIfDisposed();
        LibvirtError.Check(LibvirtNative.virNodeGetInfo(_handle, out var info), "virNodeGetInfo");
        return new NodeFacts(ModelOf(info), checked((int)info.Cpus), info.MemoryKiB, FreeMemoryKiB(), CpuBusyFraction());
    }

    private static unsafe string ModelOf(VirNodeInfo info)
    {
        var span = new ReadOnlySpan<byte>(info.Model, 32);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }

    /// <summary>MemFree + Buffers + Cached: what the kernel would hand out to a new guest.</summary>
    private ulong? FreeMemoryKiB()
    {
        var stats = NodeStats(LibvirtNative.virNodeGetMemoryStats, LibvirtNative.VirNodeMemoryStatsAllCells, "virNodeGetMemoryStats");
        if (stats is null || !stats.TryGetValue("free", out var free))
        {
            return null;
        }

        return free + stats.GetValueOrDefault("buffers") + stats.GetValueOrDefault("cached");
    }

    private double? CpuBusyFraction()
    {
        var stats = NodeStats(LibvirtNative.virNodeGetCPUStats, LibvirtNative.VirNodeCpuStatsAllCpus, "virNodeGetCPUStats");
        if (stats is null || !stats.TryGetValue("idle", out var idle))
        {
            return null;
        }

        var now = new CpuTicks(
            stats.GetValueOrDefault("kernel") + stats.GetValueOrDefault("user") + idle + stats.GetValueOrDefault("iowait"), idle);
        CpuTicks? previous;
        lock (_cpuTicksLock)
        {
            previous = _lastCpuTicks;
            _lastCpuTicks = now;
        }

        // Counters that did not move (the test driver's, or two calls within one tick) say nothing.
        if (previous is not { } p || now.Total <= p.Total || now.Idle < p.Idle)
        {
            return null;
        }

        var busy = 1.0 - (double)(now.Idle - p.Idle) / (now.Total - p.Total);
        return Math.Clamp(busy, 0.0, 1.0);
    }

    private delegate int NodeStatsCall(ConnectHandle conn, int which, VirNodeStatsField[]? stats, ref int nparams, uint flags);

    /// <summary>A virNode*Stats call as name → value, or null when the driver does not have it.</summary>
    private unsafe Dictionary<string, ulong>? NodeStats(NodeStatsCall call, int which, string operation)
    {
        var count = 0;
        if (call(_handle, which, null, ref count, 0) < 0)
        {
            var error = LibvirtError.Capture(operation);
            return error.IsUnsupported ? null : throw error;
        }

        var fields = new VirNodeStatsField[count];
        LibvirtError.Check(call(_handle, which, fields, ref count, 0), operation);
        var result = new Dictionary<string, ulong>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            fixed (byte* name = fields[i].Field)
            {
                var span = new ReadOnlySpan<byte>(name, 80);
                var end = span.IndexOf((byte)0);
                result[Encoding.UTF8.GetString(end < 0 ? span : span[..end])] = fields[i].Value;
            }
        }

        return result;
    }

    private readonly record struct CpuTicks(ulong Total, ulong Idle);
}
