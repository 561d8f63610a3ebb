namespace KrautPortal.Hypervisor;

/// <summary>Outcome of booting a kernel once under one accelerator; Detail says what was seen.</summary>
internal sealed record KernelProbeResult(bool Booted, string Detail);
