namespace KrautPortal.Features.MachineTypes;

public enum HostPlacement { Shared, Dedicated }

/// <summary>A default and the range a user may choose within, e.g. 2 vCPUs, 1–8 allowed.</summary>
public sealed record Range(int Default, int Min, int Max)
{
    public bool Contains(int value) => value >= Min && value <= Max;
}

/// <summary>A template for VMs: hardware architecture, where it may run, and CPU/RAM with their ranges.</summary>
public sealed record MachineTypeSpec
{
    public required string Architecture { get; init; }
    public HostPlacement Placement { get; init; } = HostPlacement.Shared;
    public required Range Vcpus { get; init; }
    public required Range MemoryMiB { get; init; }
    public string? Description { get; init; }
}

public sealed record MachineTypeStatus;

public static class Architectures
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "the architecture's own name")]
    public const string X86_64 = "x86_64";
    public const string Aarch64 = "aarch64";
    public static readonly IReadOnlyList<string> All = [X86_64, Aarch64];
}
