namespace KrautPortal.Features.Networks.Pages;

/// <summary>
/// A section a higher feature adds to the network page (the router, from Routers), so the page shows it without naming
/// that feature. <see cref="Component"/> gets one parameter, <c>Network</c> (<c>Resource&lt;NetworkSpec, NetworkStatus&gt;</c>).
/// </summary>
public interface INetworkPagePanel
{
    string Title { get; }

    Type Component { get; }

    /// <summary>Panels show in this order, lowest first.</summary>
    int Order => 0;
}
