namespace KrautPortal.Features.Snapshots;

/// <summary>Whether snapshots of one VM are offered now, and if not, why (shown on the page, sent with a 409).</summary>
/// <param name="Running">The VM runs: a snapshot then holds its memory (libvirt's internal snapshots of a running guest always do).</param>
/// <param name="Host">The host whose libvirt would take it, with its libvirt version when known.</param>
public sealed record SnapshotOffer(bool Offered, string? Reason, bool Running, string? Host)
{
    public static SnapshotOffer No(string reason, bool running = false, string? host = null) => new(false, reason, running, host);

    /// <summary>Throws the 409 naming the reason when not offered.</summary>
    public SnapshotOffer Require() => Offered ? this : throw new Store.ConflictException(Reason!);
}
