using KrautPortal.Features.Vms.Pages;

namespace KrautPortal.Features.VmImages.Pages;

/// <summary>The VM page's "Make image…" action.</summary>
public sealed class VmImagePageAction : IVmPageAction
{
    public Type Component => typeof(VmImageAction);
}
