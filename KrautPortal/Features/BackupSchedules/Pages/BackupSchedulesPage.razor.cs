using System.Globalization;
using KrautPortal.Components.Shared;
using KrautPortal.Features.Store;
using KrautPortal.Features.Store.Selectors;
using KrautPortal.Features.Vms;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace KrautPortal.Features.BackupSchedules.Pages;

/// <summary>
/// The viewer's backup schedules with their next run and last results; a form that checks each field as it is typed
/// (with the rules' own checks), then creates through the service, which checks everything again.
/// </summary>
public partial class BackupSchedulesPage : LiveComponent
{
    private IReadOnlyList<Resource<BackupScheduleSpec, BackupScheduleStatus>> _schedules = [];
    private IReadOnlyList<Resource<VmSpec, VmStatus>> _vms = [];
    private IReadOnlyDictionary<string, string[]> _serverErrors = new Dictionary<string, string[]>();
    private bool _busy;
    private string _name = "";
    private bool _bySelector;
    private string _selector = "";
    private Guid? _vmId;
    private string _every = "daily";
    private int _keep = 7;
    private int? _fullEvery;

    [Inject] private ResourceService<BackupScheduleSpec, BackupScheduleStatus> Schedules { get; set; } = default!;
    [Inject] private ResourceService<VmSpec, VmStatus> Vms { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _vms = (await Vms.ListAsync(new ListQuery(Limit: ListQuery.MaxLimit), CancellationToken.None)).Items;
        await RefreshAsync();
    }

    protected override bool Watches(ResourceChange change) => change.Kind == Kinds.BackupSchedules.Name;

    protected override async Task RefreshAsync() =>
        _schedules = (await Schedules.ListAsync(new ListQuery(Limit: ListQuery.MaxLimit), CancellationToken.None)).Items;

    /// <summary>What is wrong with the form as typed, by field (the same sentences as the API's); empty when it may be sent.</summary>
    private Dictionary<string, string> StepProblems()
    {
        var problems = new Dictionary<string, string>();
        if (ResourceNames.Problem(_name.Trim()) is { } name) problems["name"] = name;
        if (_bySelector)
        {
            if (string.IsNullOrWhiteSpace(_selector)) problems["spec.selector"] = "Give a selector, e.g. env=prod.";
            else
            {
                try
                {
                    SelectorParser.Parse(_selector);
                }
                catch (SelectorParseException e)
                {
                    problems["spec.selector"] = e.Message;
                }
            }
        }
        else if (_vmId is null) problems["spec.vmId"] = "Choose the VM.";
        if (ScheduleEvery.Parse(_every) is null) problems["spec.every"] = ScheduleEvery.Explained;
        if (_keep is < 1 or > BackupScheduleRules.MaxKeep) problems["spec.keep"] = $"From 1 to {BackupScheduleRules.MaxKeep}.";
        if (_fullEvery is < 1 or > BackupScheduleRules.MaxKeep) problems["spec.fullEvery"] = $"From 1 to {BackupScheduleRules.MaxKeep}, or empty.";
        return problems;
    }

    /// <summary>A field's problem: as typed (once something was typed there) or as the server answered.</summary>
    private string? Problem(string field) =>
        _serverErrors.TryGetValue(field, out var server) ? string.Join(" ", server)
        : field == "name" && _name.Length == 0 ? null
        : StepProblems().GetValueOrDefault(field);

    private async Task CreateAsync()
    {
        _busy = true;
        _serverErrors = new Dictionary<string, string[]>();
        try
        {
            var spec = new BackupScheduleSpec
            {
                Selector = _bySelector ? _selector : null, VmId = _bySelector ? null : _vmId, Every = _every, Keep = _keep, FullEvery = _fullEvery,
            };
            await Schedules.CreateAsync(new ResourceInput<BackupScheduleSpec>(_name.Trim(), [], spec), CancellationToken.None);
            Snackbar.Add($"Schedule '{_name.Trim()}' created; its first run is now.", Severity.Success);
            _name = "";
        }
        catch (ValidationException e)
        {
            _serverErrors = e.Errors;
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

    private async Task DeleteAsync(Resource<BackupScheduleSpec, BackupScheduleStatus> schedule)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete schedule {schedule.Name}?",
            "It stops running. The backups it took stay (delete them on their VM's Backups tab).", yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true) return;
        try
        {
            await Schedules.DeleteAsync(schedule.Id, null, CancellationToken.None);
            Snackbar.Add("Schedule deleted.", Severity.Success);
        }
        catch (KrautProblemException e)
        {
            Snackbar.Add(e.Detail, Severity.Error);
        }
        await RefreshAsync();
    }

    private string Target(Resource<BackupScheduleSpec, BackupScheduleStatus> s) => s.Spec.VmId is { } id
        ? "VM " + (_vms.FirstOrDefault(v => v.Id == id)?.Name ?? id.ToString()[..8])
        : "VMs matching " + s.Spec.Selector;

    private static string When(DateTime? at) => at?.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "—";
}
