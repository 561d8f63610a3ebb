using KrautPortal.Features.Vms.Pages;

namespace KrautPortal.Features.Usage.Pages;

/// <summary>The VM page's Usage tab: live and historical CPU, memory, disk and network charts.</summary>
public sealed class VmUsagePageTab : IVmPageTab
{
    public string Title => "Usage";

    public Type Component => typeof(VmUsageTab);

    /// <summary>After the consoles.</summary>
    public int Order => 10;
}
