using KrautPortal.Features.Backups;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.BackupSchedules;

/// <summary>One backup of a VM as retention sees it.</summary>
/// <param name="Ours">Taken by the schedule applying retention: only those are ever removed by it.</param>
/// <param name="Busy">Pending or running (its parent may still be chosen or read).</param>
public sealed record RestorePoint(Guid Id, Guid? ParentId, bool Completed, bool Busy, DateTime? CompletedAt, bool Ours);

/// <summary>
/// Which backups a schedule removes: of its completed backups of a VM, all but the newest <c>keep</c>, except any that a
/// backup staying (kept, another schedule's, taken by hand, or still running) builds on, directly or through other
/// links: an incremental is only whole with its parents. Nothing goes while a backup of the VM is busy, since the runner
/// picks an incremental's parent when it starts.
/// </summary>
public static class BackupRetention
{
    /// <summary>The ids to delete, children before their parents (the Backups rules refuse a parent whose child stays).</summary>
    public static IReadOnlyList<Guid> ToRemove(IReadOnlyList<RestorePoint> points, int keep)
    {
        if (keep < 1 || points.Any(p => p.Busy)) return [];
        var candidates = points.Where(p => p.Ours && p.Completed).OrderByDescending(p => p.CompletedAt).Skip(keep).Select(p => p.Id).ToHashSet();
        var byId = points.ToDictionary(p => p.Id);
        var needed = new HashSet<Guid>();
        foreach (var staying in points.Where(p => !candidates.Contains(p.Id)))
        {
            // Walk up the chain; the visited set also stops a malformed (cyclic) record from looping forever.
            for (var parent = staying.ParentId; parent is { } id && needed.Add(id);)
                parent = byId.TryGetValue(id, out var p) ? p.ParentId : null;
        }
        return points.Where(p => candidates.Contains(p.Id) && !needed.Contains(p.Id))
            .OrderByDescending(p => p.CompletedAt).Select(p => p.Id).ToList();
    }

    /// <summary>How many links the chain ending at <paramref name="top"/> has (a full backup alone: 1).</summary>
    public static int ChainLength(IReadOnlyList<RestorePoint> points, Guid top)
    {
        var byId = points.ToDictionary(p => p.Id);
        var seen = new HashSet<Guid>();
        for (Guid? at = top; at is { } id && byId.TryGetValue(id, out var p) && seen.Add(id);) at = p.ParentId;
        return seen.Count;
    }

    public static RestorePoint PointOf(Resource<BackupSpec, BackupStatus> b, Guid scheduleId) => new(b.Id, b.Status.ParentId,
        b.Status.Phase == BackupPhase.Completed && b.DeletionRequestedAt is null,
        b.Status.Phase is BackupPhase.Pending or BackupPhase.Running && b.DeletionRequestedAt is null,
        b.Status.CompletedAt, IsOurs(b, scheduleId));

    /// <summary>A schedule's backups carry its id in their note (a marker only the portal writes at creation).</summary>
    public static string NoteFor(string scheduleName, Guid scheduleId) => $"Taken by schedule '{scheduleName}' ({scheduleId:D}).";

    public static bool IsOurs(Resource<BackupSpec, BackupStatus> b, Guid scheduleId) =>
        b.Spec.Note?.EndsWith($"({scheduleId:D}).", StringComparison.Ordinal) == true;
}
