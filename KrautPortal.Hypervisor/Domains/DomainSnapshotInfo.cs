namespace KrautPortal.Hypervisor;

/// <summary>One libvirt domain snapshot as its XML describes it.</summary>
/// <param name="State">The domain's state when it was taken: <c>running</c>, <c>paused</c>, <c>shutoff</c>…</param>
/// <param name="ParentName">The snapshot it was taken on top of (null: the first of its line).</param>
/// <param name="MemoryIncluded">Whether the guest's memory was saved with it: a revert resumes the guest where it was.</param>
/// <param name="Internal">Whether disk and memory live inside the qcow2 file (no extra files next to it).</param>
public sealed record DomainSnapshotInfo(string Name, string? Description, string State, string? ParentName, DateTime? CreatedAt, bool MemoryIncluded, bool Internal);
