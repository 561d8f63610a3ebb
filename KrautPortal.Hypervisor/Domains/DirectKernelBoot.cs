namespace KrautPortal.Hypervisor;

/// <summary>Boot a kernel (and initrd) given by path instead of the disk's bootloader; used for tiny test guests.</summary>
public sealed record DirectKernelBoot(string KernelPath, string? InitrdPath = null, string? CommandLine = null);
