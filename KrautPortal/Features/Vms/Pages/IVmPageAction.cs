namespace KrautPortal.Features.Vms.Pages;

/// <summary>
/// An action a higher feature adds beside the VM page's own (Make image…, from VmImages), so the page shows it without
/// naming that feature. <see cref="Component"/> gets one parameter, <c>Vm</c> (<c>Resource&lt;VmSpec, VmStatus&gt;</c>).
/// </summary>
public interface IVmPageAction
{
    Type Component { get; }
}
