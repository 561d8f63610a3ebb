using KrautPortal.Features.Firewalls.Pages;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Routers.Pages;

/// <summary>Answers the firewall pages (a layer below) which networks have a router.</summary>
public sealed class RoutedNetworks(ResourceService<RouterSpec, RouterStatus> routers) : IRoutedNetworks
{
    public async Task<IReadOnlySet<Guid>> WithRouterAsync(IReadOnlyCollection<Guid> networkIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(networkIds);
        if (networkIds.Count == 0) return new HashSet<Guid>();
        var routed = (await routers.ListAsync(new ListQuery(Limit: ListQuery.MaxLimit), ct)).Items
            .Where(r => r.DeletionRequestedAt is null).Select(r => r.Spec.NetworkId);
        return routed.Where(networkIds.Contains).ToHashSet();
    }
}
