namespace KrautPortal.Hypervisor;

/// <summary>
/// Bounds for a tool run by <see cref="ProcessRunner"/>: wall-clock time (the process is killed), the CPU seconds and
/// address space the kernel enforces through <c>prlimit</c> (the process dies of SIGKILL/SIGXCPU or fails to allocate),
/// and how much of its output is kept (the rest is read and dropped, and the result says so).
/// </summary>
/// <param name="WallClock">Killed after this long; null: no limit (cancellation still kills it).</param>
/// <param name="CpuSeconds">RLIMIT_CPU; null: none.</param>
/// <param name="AddressSpaceBytes">RLIMIT_AS; null: none.</param>
/// <param name="OutputChars">Characters kept of standard output, and of standard error, each.</param>
public sealed record ToolLimits(TimeSpan? WallClock, int? CpuSeconds, long? AddressSpaceBytes, int OutputChars = ToolLimits.DefaultOutputChars)
{
    /// <summary>Far above anything the tools Kraut runs print (qemu-img's JSON, ip's link lists), far below a memory problem.</summary>
    public const int DefaultOutputChars = 4 << 20;

    public static readonly ToolLimits None = new(null, null, null);
}
