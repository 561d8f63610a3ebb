using KrautPortal.Features.Snapshots.Pages;

namespace KrautPortal.Features.VmImages.Pages;

/// <summary>"Make image…" in each row of a VM's Snapshots tab.</summary>
public sealed class SnapshotImageRowAction : ISnapshotRowAction
{
    public Type Component => typeof(SnapshotImageAction);
}
