namespace KrautPortal.Features.Vms.Pages;

/// <summary>
/// A tab a higher feature adds to the VM page (the interactive consoles, from Consoles), so the page shows it without
/// naming that feature. <see cref="Component"/> gets one parameter, <c>Vm</c> (<c>Resource&lt;VmSpec, VmStatus&gt;</c>).
/// </summary>
public interface IVmPageTab
{
    string Title { get; }

    Type Component { get; }

    /// <summary>Tabs show in this order, lowest first, after the page's own.</summary>
    int Order => 0;
}
