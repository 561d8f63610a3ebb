using System.Runtime.InteropServices;
using System.Text;
using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

public sealed partial class LibvirtConnection
{
    private const VirDomainStatsTypes SampledStats = VirDomainStatsTypes.State | VirDomainStatsTypes.CpuTotal
        | VirDomainStatsTypes.Balloon | VirDomainStatsTypes.Vcpu | VirDomainStatsTypes.Interface | VirDomainStatsTypes.Block;

    /// <summary>
    /// Counters of every domain (running or not) in one call (virConnectGetAllDomainStats): state, CPU time, balloon,
    /// vCPUs, interfaces and disks. What the driver does not report is null (stopped domains, the test driver).
    /// </summary>
    public IReadOnlyList<DomainStats> GetAllDomainStats()
    {
        ThrowIfDisposed();
        var count = LibvirtError.Check(
            LibvirtNative.virConnectGetAllDomainStats(_handle, (uint)SampledStats, out var records, 0),
            "virConnectGetAllDomainStats");
        try
        {
            var result = new List<DomainStats>(count);
            for (var i = 0; i < count; i++)
            {
                var record = Marshal.PtrToStructure<VirDomainStatsRecord>(Marshal.ReadIntPtr(records, i * IntPtr.Size));
                result.Add(ReadRecord(record));
            }

            return result;
        }
        finally
        {
            // One call releases the array, each record, its parameters (and their strings) and its domain reference.
            LibvirtNative.virDomainStatsRecordListFree(records);
        }
    }

    private static unsafe DomainStats ReadRecord(VirDomainStatsRecord record)
    {
        var uuidBuffer = stackalloc byte[NativeUuid.BufferLength];
        LibvirtError.Check(LibvirtNative.virDomainGetUUIDString(record.Dom, uuidBuffer), "virDomainGetUUIDString");
        var name = NativeStrings.Borrowed(LibvirtNative.virDomainGetName(record.Dom)) ?? "";
        var builder = new DomainStatsBuilder(NativeUuid.Parse(uuidBuffer), name);

        var parameters = (VirTypedParameter*)record.Params;
        for (var i = 0; i < record.NParams; i++)
        {
            if (ValueOf(ref parameters[i]) is { } value)
            {
                builder.Add(FieldOf(ref parameters[i]), value);
            }
        }

        return builder.Build();
    }

    private static unsafe string FieldOf(ref VirTypedParameter p)
    {
        fixed (byte* field = p.Field)
        {
            var length = new ReadOnlySpan<byte>(field, VirTypedParameter.FieldLength).IndexOf((byte)0);
            return Encoding.ASCII.GetString(field, length < 0 ? VirTypedParameter.FieldLength : length);
        }
    }

    /// <summary>Integers as ulong (negative ones, which no counter has, are dropped), strings copied (the list owns them).</summary>
    private static object? ValueOf(ref VirTypedParameter p) => (VirTypedParameterType)p.Type switch
    {
        VirTypedParameterType.Int => p.Int >= 0 ? (ulong)p.Int : null,
        VirTypedParameterType.UInt => (ulong)p.UInt,
        VirTypedParameterType.LLong => p.LLong >= 0 ? (ulong)p.LLong : null,
        VirTypedParameterType.ULLong => p.ULLong,
        VirTypedParameterType.String => NativeStrings.Borrowed(p.String),
        _ => null,
    };
}
