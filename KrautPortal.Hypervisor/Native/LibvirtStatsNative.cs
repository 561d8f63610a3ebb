using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

// The bulk statistics call (libvirt-domain.h). Its own part of LibvirtNative so statistics stay apart from the rest.
internal static partial class LibvirtNative
{
    /// <param name="stats">virDomainStatsTypes flags (VIR_DOMAIN_STATS_*).</param>
    /// <param name="retStats">NULL-terminated array of record pointers: the whole array, records, their domains and
    /// parameters are released by one virDomainStatsRecordListFree.</param>
    /// <returns>The number of records, or -1.</returns>
    [LibraryImport(Lib)]
    internal static partial int virConnectGetAllDomainStats(ConnectHandle conn, uint stats, out IntPtr retStats, uint flags);

    [LibraryImport(Lib)]
    internal static partial void virDomainStatsRecordListFree(IntPtr stats);
}

/// <summary>VIR_DOMAIN_STATS_* groups for virConnectGetAllDomainStats.</summary>
[Flags]
internal enum VirDomainStatsTypes : uint
{
    State = 1 << 0,
    CpuTotal = 1 << 1,
    Balloon = 1 << 2,
    Vcpu = 1 << 3,
    Interface = 1 << 4,
    Block = 1 << 5,
}

/// <summary>struct _virDomainStatsRecord: the domain pointer and its parameters belong to the record list.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirDomainStatsRecord
{
    public IntPtr Dom;
    public IntPtr Params;
    public int NParams;
}

/// <summary>virTypedParameterType.</summary>
internal enum VirTypedParameterType
{
    Int = 1,
    UInt = 2,
    LLong = 3,
    ULLong = 4,
    Double = 5,
    Boolean = 6,
    String = 7,
}

/// <summary>struct _virTypedParameter: char field[VIR_TYPED_PARAM_FIELD_LENGTH = 80]; int type; union value (8 bytes,
/// 8-aligned, so 4 bytes of padding after type): 96 bytes on every 64-bit ABI libvirt supports.</summary>
[StructLayout(LayoutKind.Explicit, Size = 96)]
internal unsafe struct VirTypedParameter
{
    public const int FieldLength = 80;

    [FieldOffset(0)]
    public fixed byte Field[FieldLength];

    [FieldOffset(80)]
    public int Type;

    [FieldOffset(88)]
    public int Int;

    [FieldOffset(88)]
    public uint UInt;

    [FieldOffset(88)]
    public long LLong;

    [FieldOffset(88)]
    public ulong ULLong;

    [FieldOffset(88)]
    public double Double;

    [FieldOffset(88)]
    public byte Boolean;

    /// <summary>char *: owned by the record list.</summary>
    [FieldOffset(88)]
    public IntPtr String;
}
