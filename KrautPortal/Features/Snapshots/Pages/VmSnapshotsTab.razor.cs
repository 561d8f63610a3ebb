using KrautPortal.Components.Shared;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace KrautPortal.Features.Snapshots.Pages;

/// <summary>
/// A VM's snapshots on its page: the tree, a form to take one, revert and delete with a confirmation saying what changes.
/// Live: refreshes when a snapshot or this VM changes. One operation at a time on the page's services (one DbContext).
/// </summary>
public partial class VmSnapshotsTab : LiveComponent
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private VmSnapshots? _view;
    private TakeForm? _form;
    private string? _formError;
    private bool _busy;

    [Inject] private SnapshotOperations Operations { get; set; } = default!;
    [Inject] private ResourceService<SnapshotSpec, SnapshotStatus> Snapshots { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;
    [Inject] private IEnumerable<ISnapshotRowAction> RowActions { get; set; } = default!;

    [Parameter, EditorRequired] public Resource<VmSpec, VmStatus> Vm { get; set; } = default!;

    private sealed class TakeForm
    {
        public string Name { get; set; } = "";
        public string? Description { get; set; }
        public bool IncludeMemory { get; set; }
    }

    private string MemoryLabel => _view?.Running == true
        ? "Include memory: the VM runs, so its memory is saved too and a revert resumes it where it was"
        : "No memory: the VM is stopped, so only its disk is kept";

    protected override Task OnInitializedAsync() => RefreshAsync();

    protected override bool Watches(ResourceChange change) =>
        change.Kind == Kinds.Snapshots.Name || (change.Kind == Kinds.Vms.Name && change.Id == Vm.Id);

    protected override async Task RefreshAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _view = await Operations.ListAsync(Vm.Id, CancellationToken.None);
        }
        catch (NotFoundException)
        {
            _view = new VmSnapshots([], false, "The VM is gone.", false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void OpenForm()
    {
        _formError = null;
        // Names are unique per owner across all VMs: the VM's name and the time make a fresh one (cut to the 63 allowed).
        var name = $"{Vm.Name}-{Time.GetLocalNow():yyyyMMdd-HHmmss}";
        _form = new TakeForm { Name = name.Length > ResourceNames.MaxLength ? name[^ResourceNames.MaxLength..] : name, IncludeMemory = _view?.Running == true };
    }

    private string? RevertBlocker(Resource<SnapshotSpec, SnapshotStatus> snapshot) =>
        snapshot.DeletionRequestedAt is not null ? "Being deleted."
        : snapshot.Status.Phase != SnapshotPhase.Ready ? $"The snapshot is {snapshot.Status.Phase.ToString().ToLowerInvariant()}."
        : snapshot.Spec.RevertGeneration > snapshot.Status.ObservedRevertGeneration ? "A revert is under way."
        : _view is { Offered: false } view ? view.Reason
        : null;

    private async Task TakeAsync()
    {
        if (_form is null) return;
        await ActAsync(async () =>
        {
            await Operations.TakeAsync(Vm.Id, _form.Name.Trim(), _form.Description, _form.IncludeMemory, null, CancellationToken.None);
            Snackbar.Add($"Taking snapshot '{_form.Name.Trim()}'…", Severity.Info);
            _form = null;
        }, e => _formError = e);
    }

    private async Task RevertAsync(Resource<SnapshotSpec, SnapshotStatus> snapshot)
    {
        var taken = snapshot.Status.CreatedAt?.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss") ?? "when it was taken";
        var text = snapshot.Status.MemoryIncluded
            ? $"{Vm.Name}'s disk and memory go back to {taken}: the VM will be running exactly as it was then. Everything written to its disk and everything the guest did since is lost."
            : $"{Vm.Name}'s disk goes back to {taken} and the VM will be stopped (this snapshot holds no memory); start it to boot from that disk. Everything written to its disk since is lost.";
        if (await Dialogs.ShowMessageBoxAsync($"Revert to '{snapshot.Name}'?", text, yesText: "Revert", cancelText: "Cancel") != true) return;
        await ActAsync(async () =>
        {
            await Operations.RevertAsync(Vm.Id, snapshot.Id, null, CancellationToken.None);
            Snackbar.Add($"Reverting to '{snapshot.Name}'…", Severity.Info);
        }, e => Snackbar.Add(e, Severity.Error));
    }

    private async Task DeleteAsync(Resource<SnapshotSpec, SnapshotStatus> snapshot)
    {
        if (await Dialogs.ShowMessageBoxAsync($"Delete snapshot '{snapshot.Name}'?",
                $"The snapshot is removed from {Vm.Name}'s disk; you can no longer go back to it. The VM itself does not change.",
                yesText: "Delete", cancelText: "Cancel") != true) return;
        await ActAsync(async () =>
        {
            await Snapshots.DeleteAsync(snapshot.Id, null, CancellationToken.None);
            Snackbar.Add($"Deleting snapshot '{snapshot.Name}'…", Severity.Info);
        }, e => Snackbar.Add(e, Severity.Error));
    }

    /// <summary>Runs one operation, shows a refusal's sentence (403, 409, 422) instead of failing the circuit, then refreshes.</summary>
    private async Task ActAsync(Func<Task> work, Action<string> refused)
    {
        _busy = true;
        try
        {
            await _gate.WaitAsync();
            try
            {
                await work();
            }
            catch (KrautProblemException e)
            {
                refused(e.Detail);
            }
            finally
            {
                _gate.Release();
            }
            await RefreshAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _gate.Dispose();
        GC.SuppressFinalize(this);
    }
}
