namespace KrautPortal.Features.Firewalls.Pages;

/// <summary>
/// Which networks have a router to enforce a firewall: asked by the wizard's firewall step, answered by Routers (a layer
/// above), so the step is skipped cleanly for networks nobody routes.
/// </summary>
public interface IRoutedNetworks
{
    /// <summary>The ones of <paramref name="networkIds"/> that have a router (switched on, not being removed).</summary>
    Task<IReadOnlySet<Guid>> WithRouterAsync(IReadOnlyCollection<Guid> networkIds, CancellationToken ct);
}
