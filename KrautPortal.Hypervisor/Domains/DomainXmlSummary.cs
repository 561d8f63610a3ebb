namespace KrautPortal.Hypervisor;

/// <summary>What Kraut reads back from a domain's XML. MACs are lowercase; a NIC's network is empty when it is not on a libvirt network; Metadata is null for foreign domains; AgentChannel is the first Unix-socket virtio channel other than the QEMU guest agent's, if any.</summary>
public sealed record DomainXmlSummary(
    Guid Uuid,
    string Name,
    string? Title,
    int Vcpus,
    int MemoryMiB,
    IReadOnlyList<NicDefinition> Nics,
    IReadOnlyList<string> DiskPaths,
    KrautDomainMetadata? Metadata,
    ChannelDefinition? AgentChannel = null)
{
    public IReadOnlyList<string> Macs => Nics.Select(n => n.Mac).ToList();
}
