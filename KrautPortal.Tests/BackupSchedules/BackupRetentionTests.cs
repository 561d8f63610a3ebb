using KrautPortal.Features.BackupSchedules;

namespace KrautPortal.Tests.BackupSchedules;

/// <summary>Retention over plain backup records: keep the newest, never break a chain something staying needs.</summary>
public sealed class BackupRetentionTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly List<RestorePoint> _points = [];

    private Guid Add(int hour, Guid? parent = null, bool ours = true, bool completed = true, bool busy = false)
    {
        var id = Guid.NewGuid();
        _points.Add(new RestorePoint(id, parent, completed, busy, completed ? T0.AddHours(hour) : null, ours));
        return id;
    }

    [Fact]
    public void FullBackupsOnly_TheOldestBeyondKeepGo_NewestFirst()
    {
        var a = Add(1);
        var b = Add(2);
        Add(3);
        Add(4);
        Assert.Equal([b, a], BackupRetention.ToRemove(_points, keep: 2));
    }

    [Fact]
    public void AnIncrementalKept_KeepsItsWholeChain()
    {
        var full = Add(1);
        var inc1 = Add(2, full);
        var inc2 = Add(3, inc1);
        // keep 1: only inc2 is kept, but it needs inc1 and full.
        Assert.Empty(BackupRetention.ToRemove(_points, keep: 1));
        var full2 = Add(4);
        // A new full: the old chain is kept by nothing any more, and goes children first.
        Assert.Equal([inc2, inc1, full], BackupRetention.ToRemove(_points, keep: 1));
        Assert.DoesNotContain(full2, BackupRetention.ToRemove(_points, keep: 1));
    }

    [Fact]
    public void PartOfAChainBeyondKeep_StaysWhileANewerLinkIsKept()
    {
        var full = Add(1);
        var inc1 = Add(2, full);
        var full2 = Add(3);
        var inc2 = Add(4, full2);
        Add(5, inc2);
        // keep 3: full2, inc2, inc3 kept; full and inc1 go (inc1 first).
        Assert.Equal([inc1, full], BackupRetention.ToRemove(_points, keep: 3));
        // keep 4: inc1 is kept, so full, which it builds on, stays too.
        Assert.Empty(BackupRetention.ToRemove(_points, keep: 4));
    }

    [Fact]
    public void BackupsTakenByHand_AreNeverRemoved_AndKeepTheirParents()
    {
        var full = Add(1);
        Add(2, full, ours: false);
        var oldFull = Add(0);
        Add(3);
        Add(4);
        // full is beyond keep but an incremental taken by hand builds on it; oldFull goes.
        Assert.Equal([oldFull], BackupRetention.ToRemove(_points, keep: 2));
    }

    [Fact]
    public void WhileABackupOfTheVmIsBusy_NothingGoes()
    {
        Add(1);
        Add(2);
        Add(3);
        Add(4, completed: false, busy: true);
        Assert.Empty(BackupRetention.ToRemove(_points, keep: 1));
    }

    [Fact]
    public void FailedBackups_AreNotRestorePoints_AndDoNotCountTowardsKeep()
    {
        var a = Add(1);
        Add(2, completed: false);
        Add(3, completed: false);
        Add(4);
        Assert.Empty(BackupRetention.ToRemove(_points, keep: 2));
        Add(5);
        Assert.Equal([a], BackupRetention.ToRemove(_points, keep: 2));
    }

    [Fact]
    public void ChainLength_CountsTheLinks()
    {
        var full = Add(1);
        var inc1 = Add(2, full);
        var inc2 = Add(3, inc1);
        Assert.Equal(1, BackupRetention.ChainLength(_points, full));
        Assert.Equal(3, BackupRetention.ChainLength(_points, inc2));
    }
}
