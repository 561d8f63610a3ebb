namespace KrautPortal.Hypervisor;

/// <summary>One &lt;domain type=...&gt; under a guest arch (qemu, kvm, test), with any overrides it carries.</summary>
public sealed record GuestDomainCapabilities(string Type, string? Emulator, IReadOnlyList<string> Machines);
