using KrautPortal.Features.Capacity;
using KrautPortal.Features.Failures;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;

namespace KrautPortal.Features.Dashboard;

public sealed record PhaseCount(VmPhase Phase, long Count);

/// <summary>What the storage holds: images (their stored bytes) and VM disks (their files' bytes on disk).</summary>
public sealed record StorageUse(long Images, long ImageBytes, long Disks, long DiskBytes);

/// <summary>The dashboards' own figures, counted in the database so they stay quick at 100,000 VMs.</summary>
/// <remarks>
/// Each call uses a database context of its own: the panels beside a dashboard (quota use, usage charts) query the
/// circuit's context at the same time, and one context cannot run two queries at once.
/// </remarks>
public sealed class DashboardQueries(IServiceScopeFactory scopes, KrautPaths paths)
{
    private static readonly JsonField[] ByPhase = [new("$.phase", InStatus: true)];

    /// <summary>
    /// VMs per phase: the VMs <paramref name="actor"/> sees as theirs (their own, their groups', shared; no system VMs),
    /// or every VM when <paramref name="everyone"/> and the actor is an administrator.
    /// </summary>
    public async Task<IReadOnlyList<PhaseCount>> VmsByPhaseAsync(Actor actor, bool everyone, CancellationToken ct)
    {
        var owners = everyone && actor.IsAdmin ? null : actor.ReadableOwners;
        var groups = await GroupAsync(Kinds.Vms, ByPhase, [], owners, ct);
        return groups
            .GroupBy(g => Enum.TryParse<VmPhase>(g.Keys[0], ignoreCase: true, out var phase) ? phase : VmPhase.Pending)
            .Select(g => new PhaseCount(g.Key, g.Sum(x => x.Count)))
            .OrderBy(p => p.Phase).ToList();
    }

    /// <summary>How many objects of <paramref name="kind"/> the actor sees (an administrator: all of them, as the lists show).</summary>
    public async Task<long> CountAsync(KindInfo kind, Actor actor, CancellationToken ct) =>
        (await GroupAsync(kind, [], [], actor.IsAdmin ? null : actor.ReadableOwners, ct)).Sum(g => g.Count);

    /// <summary>Images by their stored size (as the pipeline recorded it) and VM disks by their files in the data directory.</summary>
    public async Task<StorageUse> StorageAsync(CancellationToken ct)
    {
        var images = await GroupAsync(Kinds.Images, [], [new("$.actualSizeBytes", InStatus: true)], owners: null, ct);
        var disks = new DirectoryInfo(paths.Disks).EnumerateFiles("*.qcow2").ToList();
        return new StorageUse(images.Sum(i => i.Count), images.Sum(i => i.Sums[0]), disks.Count, disks.Sum(f => f.Length));
    }

    /// <summary><paramref name="work"/> with services of a scope (and database context) of its own, for a dialog beside the dashboard's panels.</summary>
    public async Task<T> InOwnScopeAsync<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    /// <summary>The installation's capacity (<see cref="ICapacityReader"/>).</summary>
    public async Task<InstallationCapacity> CapacityAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ICapacityReader>().GetAsync(ct);
    }

    /// <summary>The newest failures <paramref name="actor"/> may see (<see cref="FailureService"/>), at most <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<Failure>> RecentFailuresAsync(Actor actor, int count, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var failures = await scope.ServiceProvider.GetRequiredService<FailureService>().ListAsync(actor, ct);
        return failures.OrderByDescending(f => f.Since).Take(count).ToList();
    }

    private async Task<IReadOnlyList<JsonGroup>> GroupAsync(KindInfo kind, IReadOnlyList<JsonField> keys, IReadOnlyList<JsonField> sums,
        IReadOnlyCollection<string>? owners, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<KindReader>().GroupAsync(kind, keys, sums, owners, ct);
    }
}
