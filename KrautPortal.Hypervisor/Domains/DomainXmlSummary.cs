namespace KrautPortal.Hypervisor;

/// <summary>What Kraut reads back from a domain's XML. Macs are lowercase; Metadata is null for foreign domains.</summary>
public sealed record DomainXmlSummary(
    Guid Uuid,
    string Name,
    string? Title,
    int Vcpus,
    int MemoryMiB,
    IReadOnlyList<string> Macs,
    IReadOnlyList<string> DiskPaths,
    KrautDomainMetadata? Metadata);
