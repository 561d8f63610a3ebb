using KrautPortal.Features.Store;

namespace KrautPortal.Features.Snapshots.Pages;

/// <summary>Orders a VM's snapshots as their tree (parent before children, oldest first), each with its depth.</summary>
public static class SnapshotTree
{
    public static IReadOnlyList<(Resource<SnapshotSpec, SnapshotStatus> Snapshot, int Depth)> Order(IReadOnlyList<Resource<SnapshotSpec, SnapshotStatus>> snapshots)
    {
        var ids = snapshots.Select(s => s.Id).ToHashSet();
        // A parent not among them (not a Kraut snapshot, or not visible) makes a root.
        var children = snapshots.ToLookup(s => s.Status.ParentId is { } p && ids.Contains(p) ? p : (Guid?)null);
        var result = new List<(Resource<SnapshotSpec, SnapshotStatus>, int)>();
        void Walk(Guid? parent, int depth)
        {
            foreach (var child in children[parent])
            {
                result.Add((child, depth));
                Walk(child.Id, depth + 1);
            }
        }
        Walk(null, 0);
        return result;
    }
}
