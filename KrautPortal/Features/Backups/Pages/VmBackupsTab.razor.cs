using KrautPortal.Components.Shared;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace KrautPortal.Features.Backups.Pages;

/// <summary>A VM's backups on its page. The page already checked the VM is the viewer's; each backup is read through the service.</summary>
public partial class VmBackupsTab : LiveComponent
{
    private IReadOnlyList<Resource<BackupSpec, BackupStatus>> _backups = [];
    private string? _whyNot;
    private bool _busy;

    [Inject] private ResourceService<BackupSpec, BackupStatus> Backups { get; set; } = default!;
    [Inject] private KindReader Reader { get; set; } = default!;
    [Inject] private Hosts.HostRegistry Hosts { get; set; } = default!;
    [Inject] private BackupRestores Restores { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    [Parameter, EditorRequired] public Resource<VmSpec, VmStatus> Vm { get; set; } = default!;

    protected override async Task OnParametersSetAsync() => await RefreshAsync();

    protected override bool Watches(ResourceChange change) => change.Kind == Kinds.Backups.Name;

    protected override async Task RefreshAsync()
    {
        _whyNot = BackupRules.WhyNotHere(Hosts, Vm);
        _backups = await BackupsApi.BackupsOfVisibleVmAsync(Backups, Reader, Vm.Id, CancellationToken.None);
    }

    private Task BackUpAsync() => RunAsync(() => Backups.CreateAsync(BackupsApi.NewBackup(Vm, null, null, Time), CancellationToken.None),
        "Backup started: incremental when an earlier backup's checkpoint allows, otherwise full.");

    private async Task RestoreNewAsync(Resource<BackupSpec, BackupStatus> backup)
    {
        var name = $"{Vm.Name}-restored";
        if (name.Length > ResourceNames.MaxLength) name = name[..ResourceNames.MaxLength];
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Restore {backup.Name} as a new VM?",
            $"A new VM '{name}' is made with this VM's image, machine type and networks, and a disk holding the backup's content "
            + $"(taken {backup.Status.CompletedAt?.ToLocalTime():yyyy-MM-dd HH:mm}). This VM is not changed.", yesText: "Restore", cancelText: "Cancel");
        if (confirmed != true) return;
        await RunAsync(async () =>
        {
            var vm = await Restores.RestoreNewAsync(backup.Id, new RestoreRequest(name, null, null, null), CancellationToken.None);
            Navigation.NavigateTo($"/vms/{vm.Id}");
        }, $"VM '{name}' is being made from the backup.");
    }

    private async Task RestoreOverAsync(Resource<BackupSpec, BackupStatus> backup)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Restore {backup.Name} over {Vm.Name}?",
            $"The disk of {Vm.Name} is replaced by the backup's content (taken {backup.Status.CompletedAt?.ToLocalTime():yyyy-MM-dd HH:mm}). "
            + "Everything written to it since is lost. Its checkpoints go, so its next backup is a full one. Its other backups stay.",
            yesText: "Replace the disk", cancelText: "Cancel");
        if (confirmed != true) return;
        await RunAsync(() => Restores.RestoreOverAsync(backup.Id, CancellationToken.None), $"{Vm.Name} now has the disk of {backup.Name}.");
    }

    private async Task DeleteAsync(Resource<BackupSpec, BackupStatus> backup)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete {backup.Name}?", "Its file is removed; a running backup is stopped first.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true) return;
        await RunAsync(() => Backups.DeleteAsync(backup.Id, null, CancellationToken.None), "Backup deleted.");
    }

    private async Task RunAsync(Func<Task> action, string success)
    {
        _busy = true;
        try
        {
            await action();
            Snackbar.Add(success, Severity.Success);
        }
        catch (KrautProblemException e)
        {
            Snackbar.Add(e.Detail, Severity.Error);
        }
        finally
        {
            _busy = false;
        }
        await RefreshAsync();
    }
}
