namespace KrautPortal.Hypervisor;

/// <summary>Everything <see cref="DomainXml.Build"/> needs to write a domain's XML.</summary>
/// <param name="Name">The libvirt domain name (unique per host).</param>
/// <param name="Title">The user-visible VM name.</param>
/// <param name="DomainType">kvm, qemu (TCG) or test.</param>
/// <param name="Arch">x86_64 or aarch64 (i686 for the test driver).</param>
/// <param name="Emulator">QEMU binary from the capabilities; null lets libvirt choose.</param>
/// <param name="Machine">Machine type; null means libvirt's default (virt on aarch64).</param>
/// <param name="Firmware">bios or efi; aarch64 always uses efi.</param>
/// <param name="SerialLogPath">Where virtlogd writes everything the guest prints on its serial port (a pty, so a
/// console stream can attach too); null for no serial port.</param>
/// <param name="VncSocketPath">The Unix socket QEMU's VNC server listens on, with a VGA card; null for no display.</param>
/// <param name="AgentChannel">A host-only channel to an agent in the guest (routers); null for none.</param>
/// <param name="GuestAgent">A virtio-serial port for the QEMU guest agent (<see cref="DomainXml.GuestAgentChannel"/>), which
/// libvirt itself talks to (freezing filesystems around a backup); harmless when the guest runs no agent.</param>
public sealed record DomainDefinition(
    Guid Uuid,
    string Name,
    string Title,
    string DomainType,
    string Arch,
    string? Emulator,
    string? Machine,
    int Vcpus,
    int MemoryMiB,
    IReadOnlyList<DiskDefinition> Disks,
    IReadOnlyList<NicDefinition> Nics,
    string? SerialLogPath,
    KrautDomainMetadata Metadata,
    string Firmware = "bios",
    DirectKernelBoot? DirectKernel = null,
    ChannelDefinition? AgentChannel = null,
    string? VncSocketPath = null,
    bool GuestAgent = false);
