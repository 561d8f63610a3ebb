using KrautPortal.Features.Vms.Pages;

namespace KrautPortal.Features.Consoles.Pages;

/// <summary>The VM page's Console tab: the serial log, and the interactive serial console and screen.</summary>
public sealed class VmConsolePageTab : IVmPageTab
{
    /// <summary>The same title as the VM page's own log tab, which this one replaces (it shows that log too).</summary>
    public string Title => "Console";

    public Type Component => typeof(VmConsoleTab);
}
