namespace KrautPortal.Hypervisor;

/// <summary>A NIC attached to a libvirt network, with the network filter that keeps its guest honest (none: unfiltered).</summary>
public sealed record NicDefinition(string Mac, string NetworkName, string Model = "virtio", NicFilter? Filter = null);
