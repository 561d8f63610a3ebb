namespace KrautPortal.Features.Store;

/// <summary>
/// Kinds whose status describes other people's objects (a shared network's DHCP leases) narrow it to what the caller
/// may see. <see cref="ResourceService{TSpec,TStatus}"/> applies it to every object it hands out.
/// </summary>
public interface IStatusView<TSpec, TStatus>
{
    Task<IReadOnlyList<Resource<TSpec, TStatus>>> ShownToAsync(IReadOnlyList<Resource<TSpec, TStatus>> items, Actor actor, CancellationToken ct);
}
