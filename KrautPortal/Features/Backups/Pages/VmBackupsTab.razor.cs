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
    /// <summary>What a long action is waiting for, shown while it waits.</summary>
    private string? _progress;

    [Inject] private ResourceService<BackupSpec, BackupStatus> Backups { get; set; } = default!;
    [Inject] private KindReader Reader { get; set; } = default!;
    [Inject] private Hosts.HostRegistry Hosts { get; set; } = default!;
    [Inject] private BackupRestores Restores { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private VmOperations VmOperations { get; set; } = default!;
    [Inject] private Microsoft.Extensions.Options.IOptions<Hosts.KrautOptions> KrautOptions { get; set; } = default!;

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

    /// <summary>
    /// Replaces the VM's disk with the backup's; a running VM is stopped first, as the confirmation says: the stop is
    /// recorded like the Stop button's, and the disk is replaced once the VM's reconciler reports it stopped. Left before
    /// that (page closed, VM started again, no stop in time), the VM is stopped and its disk unchanged, which is said.
    /// </summary>
    private async Task RestoreOverAsync(Resource<BackupSpec, BackupStatus> backup)
    {
        var running = Vm.Status.Phase != VmPhase.Stopped;
        var stopFirst = running
            ? $"{Vm.Name} is running: it is shut down first, as Stop does (forced off if it has not stopped after {StopTimeoutSeconds} s), "
              + "and its disk is replaced once it has stopped; it stays stopped. "
            : "";
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Restore {backup.Name} over {Vm.Name}?",
            stopFirst + $"The disk of {Vm.Name} is replaced by the backup's content (taken {backup.Status.CompletedAt?.ToLocalTime():yyyy-MM-dd HH:mm}). "
            + "Everything written to it since is lost. Its checkpoints go, so its next backup is a full one. Its other backups stay.",
            yesText: running ? "Stop it and replace the disk" : "Replace the disk", cancelText: "Cancel");
        if (confirmed != true) return;
        await RunAsync(async () =>
        {
            if (running)
            {
                await VmOperations.ActAsync(Vm.Id, "stop", null, CancellationToken.None);
                _progress = $"Waiting for {Vm.Name} to stop before its disk is replaced…";
                await InvokeAsync(StateHasChanged);
                await WaitUntilStoppedAsync();
                _progress = $"Replacing the disk of {Vm.Name}…";
                await InvokeAsync(StateHasChanged);
            }
            await Restores.RestoreOverAsync(backup.Id, CancellationToken.None);
        }, $"{Vm.Name} now has the disk of {backup.Name}.");
    }

    private int StopTimeoutSeconds => KrautOptions.Value.StopTimeoutSeconds;

    /// <summary>Reads the VM (on the circuit's dispatcher, like the page's live refreshes) until it has stopped.</summary>
    private async Task WaitUntilStoppedAsync()
    {
        var deadline = Time.GetUtcNow() + TimeSpan.FromSeconds(StopTimeoutSeconds + 60);
        while (true)
        {
            var vm = await Reader.FindAsync<VmSpec, VmStatus>(Kinds.Vms, Vm.Id, CancellationToken.None) ?? throw new NotFoundException(Kinds.Vms.Singular, Vm.Id);
            if (vm.Status.Phase == VmPhase.Stopped) return;
            if (vm.Spec.Power != PowerState.Stopped)
                throw new ConflictException($"{Vm.Name} was started again before it had stopped; its disk was not replaced.");
            if (Time.GetUtcNow() > deadline)
                throw new ConflictException($"{Vm.Name} has not stopped after {StopTimeoutSeconds + 60} s; its disk was not replaced. Force it off, then restore again.");
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
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
            _progress = null;
        }
        await RefreshAsync();
    }
}
