using KrautPortal.Features.Vms.Pages;

namespace KrautPortal.Features.Snapshots.Pages;

/// <summary>The VM page's Snapshots tab: the snapshot tree, take, revert, delete.</summary>
public sealed class VmSnapshotsPageTab : IVmPageTab
{
    public string Title => "Snapshots";

    public Type Component => typeof(VmSnapshotsTab);

    /// <summary>After the consoles and usage.</summary>
    public int Order => 20;
}
