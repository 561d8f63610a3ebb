namespace KrautPortal.Features.Reconciling;

/// <summary>
/// Which replica reconciles what. Reconcilers name an owner key for each object (<see cref="OwnerKeys"/>): the
/// replica holding the key reconciles it, the others skip it. With SQLite there is one portal and it owns everything
/// (<see cref="SingleProcessOwnership"/>); on PostgreSQL each key is a session advisory lock, so a replica that dies
/// (its connection closes) loses its keys at once and another takes them within seconds.
/// </summary>
public interface IReconcileOwnership
{
    /// <summary>Whether this replica holds <paramref name="key"/>. A key asked for the first time is tried at once; every
    /// key asked for is tried again periodically, so a dead owner's keys find a new one.</summary>
    ValueTask<bool> OwnsAsync(string key, CancellationToken ct);

    /// <summary>Hands an explicit request to act (a button, a new spec) on an object another replica owns to that replica.</summary>
    Task ForwardAsync(string loop, Guid id, CancellationToken ct);

    /// <summary>This replica took over keys: objects it skipped until now are its own to look at.</summary>
    event Action? Gained;

    /// <summary>Another replica forwarded a request (loop name, object id).</summary>
    event Action<string, Guid>? Forwarded;
}

/// <summary>The only portal: owns every key, so nothing is ever skipped or forwarded.</summary>
public sealed class SingleProcessOwnership : IReconcileOwnership
{
    public ValueTask<bool> OwnsAsync(string key, CancellationToken ct) => ValueTask.FromResult(true);

    public Task ForwardAsync(string loop, Guid id, CancellationToken ct) => Task.CompletedTask;

    public event Action? Gained { add { } remove { } }

    public event Action<string, Guid>? Forwarded { add { } remove { } }
}

/// <summary>
/// The owner keys, in one place so their choice is visible. A VM belongs to its host's key: one replica drives all of a
/// libvirtd's domains (one event stream, no two replicas defining the same domain). A VM without a host yet belongs to
/// <see cref="Placement"/>: one replica places, so two cannot place the same VM on different hosts. A network belongs
/// to its own key: it is realised on every host by one pass that writes one status, which a per-host key would split
/// between replicas. Images (content in the shared data directory), routers and usage roll-ups have one key each; usage samples are
/// stored by their host's owner.
/// </summary>
public static class OwnerKeys
{
    public const string Placement = "placement";
    public const string Images = "images";
    public const string Routers = "routers";

    /// <summary>Rolling usage samples up into hours and pruning them: one replica, or they would collide.</summary>
    public const string Usage = "usage";

    public static string Host(string uri) => "host:" + uri;

    public static string Network(Guid id) => "network:" + id.ToString("D");
}
