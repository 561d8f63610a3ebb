namespace KrautPortal.Hypervisor;

/// <summary>
/// Bounds for a tool that reads untrusted input: wall-clock time (the process is killed), and the CPU seconds and
/// address space the kernel enforces through <c>prlimit</c> (the process dies of SIGKILL/SIGXCPU or fails to allocate).
/// </summary>
/// <param name="WallClock">Killed after this long; null: no limit (cancellation still kills it).</param>
/// <param name="CpuSeconds">RLIMIT_CPU; null: none.</param>
/// <param name="AddressSpaceBytes">RLIMIT_AS; null: none.</param>
public sealed record ToolLimits(TimeSpan? WallClock, int? CpuSeconds, long? AddressSpaceBytes)
{
    public static readonly ToolLimits None = new(null, null, null);
}
