using System.Globalization;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Scheduling;

/// <summary>
/// What overcommit an administrator may set, field by field (the API's 422 and the dialog's field checks use the same
/// sentences). The upper bounds are where a ratio stops being overcommit and becomes a mistake: 16 vCPUs per CPU, 4× memory
/// (guests' memory cannot be taken back without swapping), 10× disk (thin overlays still grow on write).
/// </summary>
public static class OvercommitLimits
{
    public const double MaxCpu = 16;
    public const double MaxMemory = 4;
    public const double MaxDisk = 10;

    public static string? CpuProblem(double? value) => Ratio(value, MaxCpu, "vCPUs per physical CPU");

    public static string? MemoryProblem(double? value) => Ratio(value, MaxMemory, "bytes of memory promised per byte present");

    public static string? DiskProblem(double? value) => Ratio(value, MaxDisk, "bytes of disk promised per byte of the pool");

    /// <param name="hosts">The hosts the reserve would apply to, with their memory in MiB (hosts not reached yet left out).</param>
    public static string? ReserveProblem(long? value, IEnumerable<(string Host, long MemoryMiB)> hosts)
    {
        if (value is not { } reserve) return null;
        if (reserve < 0) return "Must be 0 or more (MiB kept for the host itself).";
        foreach (var (host, memoryMiB) in hosts)
            if (reserve >= memoryMiB)
                return $"{reserve} MiB is not less than the memory of {host} ({memoryMiB} MiB): nothing would be left for VMs.";
        return null;
    }

    /// <summary>Every field's problem at once, as a 422 naming the fields (<c>cpu</c>, <c>memory</c>, <c>disk</c>, <c>reservedMemoryMiB</c>).</summary>
    public static void Check(OvercommitValues values, IEnumerable<(string Host, long MemoryMiB)> hosts)
    {
        var errors = new ValidationErrors();
        if (CpuProblem(values.Cpu) is { } cpu) errors.Add("cpu", cpu);
        if (MemoryProblem(values.Memory) is { } memory) errors.Add("memory", memory);
        if (DiskProblem(values.Disk) is { } disk) errors.Add("disk", disk);
        if (ReserveProblem(values.ReservedMemoryMiB, hosts) is { } reserve) errors.Add("reservedMemoryMiB", reserve);
        errors.ThrowIfAny();
    }

    private static string? Ratio(double? value, double max, string what)
    {
        if (value is not { } v) return null;
        if (!double.IsFinite(v) || v <= 0) return $"Must be more than 0 ({what}); leave it out to inherit.";
        return v > max ? $"Must be at most {max.ToString(CultureInfo.InvariantCulture)} ({what}); {v.ToString(CultureInfo.InvariantCulture)} is more." : null;
    }
}
