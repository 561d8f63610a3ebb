namespace KrautPortal.Hypervisor;

/// <summary>
/// A virtio-serial channel whose host end is a Unix socket QEMU listens on (a router's agent channel): the guest sees
/// a port named <paramref name="TargetName"/> under /sys/class/virtio-ports, the host connects to <paramref name="SocketPath"/>.
/// </summary>
public sealed record ChannelDefinition(string SocketPath, string TargetName);
