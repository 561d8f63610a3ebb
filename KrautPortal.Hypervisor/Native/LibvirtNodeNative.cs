using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

// The host ("node") calls capacity needs: what the machine has and how busy it is.
internal static partial class LibvirtNative
{
    /// <summary>VIR_NODE_MEMORY_STATS_ALL_CELLS: the whole host, not one NUMA cell.</summary>
    internal const int VirNodeMemoryStatsAllCells = -1;

    /// <summary>VIR_NODE_CPU_STATS_ALL_CPUS: the sum over every CPU.</summary>
    internal const int VirNodeCpuStatsAllCpus = -1;

    [LibraryImport(Lib)]
    internal static partial int virNodeGetInfo(ConnectHandle conn, out VirNodeInfo info);

    /// <remarks>Called once with <paramref name="stats"/> NULL and nparams 0 to learn the count.</remarks>
    [LibraryImport(Lib)]
    internal static partial int virNodeGetMemoryStats(ConnectHandle conn, int cellNum, [Out] VirNodeStatsField[]? stats, ref int nparams, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virNodeGetCPUStats(ConnectHandle conn, int cpuNum, [Out] VirNodeStatsField[]? stats, ref int nparams, uint flags);
}

/// <summary>struct _virNodeInfo (libvirt-host.h). <c>unsigned long</c> is 64-bit on the Linux targets Kraut runs on.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VirNodeInfo
{
    public fixed byte Model[32];
    public nuint MemoryKiB;
    public uint Cpus;
    public uint Mhz;
    public uint Nodes;
    public uint Sockets;
    public uint Cores;
    public uint Threads;
}

/// <summary>struct _virNodeMemoryStats and struct _virNodeCPUStats share this layout: a name of
/// VIR_NODE_*_STATS_FIELD_LENGTH (80) bytes and an unsigned long long.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VirNodeStatsField
{
    public fixed byte Field[80];
    public ulong Value;
}
