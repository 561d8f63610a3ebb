namespace KrautPortal.Features.Snapshots.Pages;

/// <summary>
/// A button another feature puts into each row of the VM's Snapshots tab (e.g. "Make image…"): a component taking the
/// parameters <c>Vm</c> (<c>Resource&lt;VmSpec, VmStatus&gt;</c>) and <c>Snapshot</c> (<c>Resource&lt;SnapshotSpec, SnapshotStatus&gt;</c>).
/// </summary>
public interface ISnapshotRowAction
{
    Type Component { get; }
}
