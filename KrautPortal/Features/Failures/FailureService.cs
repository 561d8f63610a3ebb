using System.Collections.Concurrent;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Routers;
using KrautPortal.Features.Store;
using KrautPortal.Features.Store.Selectors;
using KrautPortal.Features.Vms;

namespace KrautPortal.Features.Failures;

/// <summary>
/// What went wrong, newest first: objects whose status says they failed (VMs: a failed phase or the reconciler's last error,
/// placement refusals included; images: a failed upload or conversion; networks and routers: a failed phase or a refused
/// ruleset), objects whose reconcile keeps failing, and hosts that do not answer. Administrators see everything; others
/// the failures of their own and their groups' objects.
/// </summary>
public sealed class FailureService(ResourceStore store, ReconcileErrorRegistry reconcileErrors, HostRegistry hosts, HostOutages outages)
{
    /// <summary>At most this many failing objects of each kind: enough for a page, cheap at any size.</summary>
    public const int MaxPerKind = 200;

    private static readonly (KindInfo Kind, StatusCondition[] AnyOf)[] Sources =
    [
        (Kinds.Vms, [new("$.phase", "failed"), new("$.lastError")]),
        (Kinds.Images, [new("$.phase", "failed")]),
        (Kinds.Networks, [new("$.phase", "failed")]),
        (Kinds.Routers, [new("$.phase", "failed"), new("$.applyError")]),
    ];

    private static readonly Dictionary<string, KindInfo> ReconcilerKinds = new()
    {
        [nameof(VmReconciler)] = Kinds.Vms,
        [nameof(NetworkReconciler)] = Kinds.Networks,
        [nameof(RouterReconciler)] = Kinds.Routers,
    };

    public async Task<IReadOnlyList<Failure>> ListAsync(Actor actor, CancellationToken ct)
    {
        var failures = new List<Failure>();
        foreach (var (kind, anyOf) in Sources)
            foreach (var row in await store.ListByStatusAsync(kind.Name, anyOf, actor, MaxPerKind, ct))
                if (Reaches(actor, row) && FromStatus(kind, row) is { } failure) failures.Add(failure);

        // A reconcile error the status already tells (a VM's lastError) is not said twice.
        var told = failures.Select(f => f.Id).ToHashSet();
        foreach (var entry in reconcileErrors.Current.Where(e => !told.Contains(e.Id)))
        {
            if (await store.FindAnyKindAsync(entry.Id, ct) is not { } row || !Reaches(actor, row)) continue;
            var kind = ReconcilerKinds.GetValueOrDefault(entry.Reconciler)?.Name ?? row.Kind;
            failures.Add(new Failure(kind, row.Id, row.Name, row.Owner, "reconcile",
                $"{entry.Message} (tried {entry.Attempts} time{(entry.Attempts == 1 ? "" : "s")}; retrying)", entry.Since, LinkOf(row)));
        }

        if (actor.IsAdmin && actor.Scope is null)
        {
            foreach (var host in hosts.Hosts)
            {
                if (outages.Check(host) is { } since)
                    failures.Add(new Failure("hosts", null, host.Uri, null, "host", $"Host {host.Uri} does not answer: {host.Error ?? "no connection"}", since, "/"));
            }
        }
        return failures.OrderByDescending(f => f.Since).ToList();
    }

    /// <summary>
    /// Only a person's own and their groups' objects: a shared object's failure is the administrators' to see. A limited
    /// token sees failures only of kinds it may read and of objects its selector matches, judged as a plain GET judges
    /// them (the store's scope selector against the object's metadata).
    /// </summary>
    private static bool Reaches(Actor actor, ResourceRow row)
    {
        if (actor.Scope is { } scope && !scope.Allows(Verbs.Read, row.Kind)) return false;
        if (!SelectorMatcher.Matches(ResourceStore.ScopeSelector(actor), KrautJson.ParseObject(row.Metadata))) return false;
        return actor.IsAdmin || (!row.IsSystem && (row.Owner == actor.Name || actor.Groups.Contains(row.Owner)));
    }

    private static Failure? FromStatus(KindInfo kind, ResourceRow row)
    {
        var (message, since) = kind.Name switch
        {
            "vms" => VmFailure(Resource<VmSpec, VmStatus>.FromRow(row).Status),
            "images" => (Resource<ImageSpec, ImageStatus>.FromRow(row).Status is var s ? (s.Message ?? "The image failed.", s.PhaseStartedAt) : default),
            "networks" => (Resource<NetworkSpec, NetworkStatus>.FromRow(row).Status.Message ?? "The network failed.", (DateTime?)null),
            "routers" => (Resource<RouterSpec, RouterStatus>.FromRow(row).Status is var r
                ? (r.Phase == RouterPhase.Failed ? r.Message ?? "The router failed." : $"Its last ruleset was refused: {r.ApplyError}", r.ObservedAt) : default),
            _ => (null, null),
        };
        return message is null ? null : new Failure(kind.Name, row.Id, row.Name, row.Owner, "status", message, since ?? row.UpdatedAt, LinkOf(row));
    }

    private static (string?, DateTime?) VmFailure(VmStatus s) =>
        (s.LastError ?? (s.Phase == VmPhase.Failed ? "The VM failed." : null), s.LastErrorAt ?? s.ObservedAt);

    /// <summary>The portal page that shows the object and its status message (a router's: its network's page).</summary>
    private static string? LinkOf(ResourceRow row) => row.Kind switch
    {
        "vms" or "images" or "networks" or "firewalls" => $"/{row.Kind}/{row.Id}",
        "routers" => KrautJson.Deserialize<RouterSpec>(row.Spec).NetworkId is var n ? $"/networks/{n}" : null,
        _ => null,
    };
}

/// <summary>
/// Since when each host has not answered (Kraut keeps no such time itself); a host that answers again is forgotten. A host
/// is asked at most every <see cref="RecheckAfter"/>: lists refresh on every status change, and a dead host may take a
/// connect timeout to say so.
/// </summary>
public sealed class HostOutages(TimeProvider time)
{
    public static readonly TimeSpan RecheckAfter = TimeSpan.FromSeconds(15);

    private sealed record Seen(DateTime CheckedAt, DateTime? DownSince);

    private readonly ConcurrentDictionary<string, Seen> _seen = new();

    /// <summary>Null when the host answers; else since when it has not.</summary>
    public DateTime? Check(KrautHost host)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (_seen.TryGetValue(host.Uri, out var last) && now - last.CheckedAt < RecheckAfter) return last.DownSince;
        var down = host.TryConnect() ? (DateTime?)null : last?.DownSince ?? now;
        _seen[host.Uri] = new Seen(now, down);
        return down;
    }
}
