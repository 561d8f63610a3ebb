using KrautPortal.Features.Vms.Pages;

namespace KrautPortal.Features.Backups.Pages;

/// <summary>The VM page's Backups tab: the VM's backups with live progress and sizes, back up now, restore, delete.</summary>
public sealed class BackupsPageTab : IVmPageTab
{
    public string Title => "Backups";

    public Type Component => typeof(VmBackupsTab);

    /// <summary>After consoles and usage.</summary>
    public int Order => 20;
}
