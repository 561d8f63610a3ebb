namespace KrautPortal.Features.Store;

/// <summary>One stored object of any kind: the shape every kind shares.</summary>
public sealed class ResourceRow
{
    /// <summary>Insertion order; the tie-breaker that makes keyset paging stable.</summary>
    public long Seq { get; set; }
    public Guid Id { get; set; }
    public required string Kind { get; set; }
    public required string Name { get; set; }
    public required string Owner { get; set; }
    public required string Metadata { get; set; }
    public required string Spec { get; set; }
    public required string Status { get; set; }
    public long Version { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    /// <summary>Set when deletion was asked for but the real object (domain, network) still has to go.</summary>
    public DateTime? DeletionRequestedAt { get; set; }

    /// <summary>Objects Kraut manages for itself (e.g. firewall VMs) that customers never see.</summary>
    public bool IsSystem { get; set; }
}

/// <summary>A full snapshot of an object's desired state at one version.</summary>
public sealed class HistoryRow
{
    public long Seq { get; set; }
    public Guid ResourceId { get; set; }
    public required string Kind { get; set; }
    public long Version { get; set; }
    public required string Snapshot { get; set; }
    public required string ChangedBy { get; set; }
    public DateTime ChangedAt { get; set; }
    public required string Change { get; set; }
}

/// <summary>Per-installation facts, such as the id that marks this instance's libvirt objects.</summary>
public sealed class SettingRow
{
    public required string Key { get; set; }
    public required string Value { get; set; }
}
