namespace KrautPortal.Hypervisor;

/// <summary>A NIC attached to a libvirt network.</summary>
public sealed record NicDefinition(string Mac, string NetworkName, string Model = "virtio");
