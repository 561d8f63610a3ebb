using KrautPortal.Features.Networks.Pages;

namespace KrautPortal.Features.Routers.Pages;

/// <summary>Puts the router section on the network page (which knows nothing of routers).</summary>
public sealed class RouterNetworkPanel : INetworkPagePanel
{
    public string Title => "Router";

    public Type Component => typeof(RouterPanel);
}
