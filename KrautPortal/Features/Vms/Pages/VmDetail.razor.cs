using KrautPortal.Components.Shared;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace KrautPortal.Features.Vms.Pages;

public partial class VmDetail
{
    /// <summary>How long a running VM's NIC may stay without a seen address before the page explains why that may be.</summary>
    public static readonly TimeSpan SilentNicHintAfter = TimeSpan.FromSeconds(45);

    private ResourceDetailShell<VmSpec, VmStatus>? _shell;
    private Resource<MachineTypeSpec, MachineTypeStatus>? _machineType;
    private string? _imageName;
    private IReadOnlyList<Resource<NetworkSpec, NetworkStatus>> _networks = [];
    private int _vcpus;
    private int _memory;
    private Resource<VmSpec, VmStatus>? _shown;
    private Guid? _newNicNetwork;
    private string? _newNicIpv4;
    private string? _newNicIpv6;
    private Dictionary<string, string> _nicErrors = [];

    // The snackbar announcing the state an action leads to, and that state: replaced as soon as the phase moves.
    private Snackbar? _announcement;
    private VmPhase? _awaited;

    [Parameter] public Guid Id { get; set; }

    private async Task OnLoadedAsync(Resource<VmSpec, VmStatus> vm)
    {
        // Reset the size fields only when the stored size moved, so a live refresh never eats an edit.
        if (_shown is null || _shown.Spec.Vcpus != vm.Spec.Vcpus || _shown.Spec.MemoryMiB != vm.Spec.MemoryMiB)
            (_vcpus, _memory) = (vm.Spec.Vcpus, vm.Spec.MemoryMiB);
        if (_shown is null)
        {
            _machineType = await MachineTypes.FindAsync(vm.Spec.MachineTypeId, CancellationToken.None);
            _imageName = (await Images.FindAsync(vm.Spec.ImageId, CancellationToken.None))?.Name;
            _networks = (await Networks.ListAsync(new ListQuery(Limit: ListQuery.MaxLimit), CancellationToken.None)).Items;
        }
        if (_shown is not null && _shown.Status.Phase != vm.Status.Phase) AnnouncePhase(vm);
        _shown = vm;
    }

    private string NetworkName(Guid id) => _networks.FirstOrDefault(n => n.Id == id)?.Name ?? id.ToString();

    private string NetworkLabel(Guid? id) => id is not { } value ? ""
        : _networks.FirstOrDefault(n => n.Id == value) is { } n ? $"{n.Name} ({n.Spec.Ipv4Cidr ?? n.Spec.Ipv6Prefix ?? "no addresses"})" : value.ToString();

    private static string MoveStepText(string step) => step switch
    {
        VmMoveSteps.CopyingDisk => "copying the disk…",
        VmMoveSteps.Defining => "defining it on the target…",
        VmMoveSteps.Migrating => "migrating memory and disk while it runs…",
        VmMoveSteps.CleaningSource => "removing it from the source…",
        _ => step + "…",
    };

    private static string PhaseText(Resource<VmSpec, VmStatus> vm) => vm.Status.Phase.ToString().ToLowerInvariant();

    /// <summary>
    /// What a delete takes with it and what it leaves, counted when delete is clicked (higher features add their part);
    /// the choices ticked are carried out first, and a refused one stops the delete with its reason.
    /// </summary>
    private async Task<bool> ConfirmDeleteAsync(Resource<VmSpec, VmStatus> vm)
    {
        var notes = new List<VmDeleteNote>();
        foreach (var source in DeleteNotes)
            if (await source.DescribeAsync(vm.Id, CancellationToken.None) is { } note) notes.Add(note);
        var dialog = await Dialogs.ShowAsync<VmDeleteDialog>($"Delete {vm.Name}?", new DialogParameters<VmDeleteDialog> { { d => d.Notes, notes } });
        if (await dialog.Result is not { Canceled: false, Data: List<int> ticked }) return false;
        try
        {
            foreach (var index in ticked)
                if (notes[index].ApplyChoice is { } apply) await apply(CancellationToken.None);
        }
        catch (KrautProblemException e)
        {
            Snackbar.Add($"{vm.Name} was not deleted: {e.Detail}", Severity.Error);
            return false;
        }
        return true;
    }

    private IReadOnlyList<string> RevertWarnings(VmSpec current, VmSpec target) =>
        VmRevertWarnings.Describe(current, target, _shown?.Status.Phase is VmPhase.Running or VmPhase.Rebooting, NetworkName);

    private async Task ActAsync(Resource<VmSpec, VmStatus> vm, string action)
    {
        await _shell!.RunAsync(() => Ops.ActAsync(Id, action, null, CancellationToken.None), null);
        var (text, awaited) = action switch
        {
            "start" => ($"Starting {vm.Name}…", VmPhase.Running),
            "stop" => ($"Stopping {vm.Name}…", VmPhase.Stopped),
            "reboot" => ($"Rebooting {vm.Name}…", VmPhase.Running),
            _ => ($"Cutting the power of {vm.Name}…", VmPhase.Stopped),
        };
        // The refresh after the action may already show the new state (a fast driver): then say that instead.
        if (_shown?.Status.Phase == awaited && action != "reboot") Replace($"{vm.Name} is {awaited.ToString().ToLowerInvariant()}.", Severity.Success, null);
        else Replace(text, Severity.Info, awaited);
    }

    /// <summary>A phase change ends the announcement of the state before: the awaited state, a step on the way, or a failure.</summary>
    private void AnnouncePhase(Resource<VmSpec, VmStatus> vm)
    {
        if (_awaited is not { } awaited) return;
        var phase = vm.Status.Phase;
        var text = PhaseText(vm);
        if (phase == awaited) Replace($"{vm.Name} is {text}.", Severity.Success, null);
        else if (phase is VmPhase.Starting or VmPhase.Stopping or VmPhase.Rebooting or VmPhase.Creating) Replace($"{vm.Name} is {text}…", Severity.Info, awaited);
        else Replace($"{vm.Name} is {text}." + (vm.Status.LastError is { } error ? $" {error}" : ""), Severity.Warning, null);
    }

    private void Replace(string text, Severity severity, VmPhase? awaited)
    {
        if (_announcement is not null) Snackbar.Remove(_announcement);
        _announcement = Snackbar.Add(text, severity, o => o.VisibleStateDuration = awaited is null ? 4000 : 120_000);
        _awaited = awaited;
    }

    private bool IsStatic(VmNic nic) => _networks.FirstOrDefault(n => n.Id == nic.NetworkId)?.Spec.Ipv4Mode == Ipv4Mode.Static;

    /// <summary>The Seen column of a NIC without an address seen: Kraut sees DHCP leases, so a static address never shows.</summary>
    private string SeenText(Resource<VmSpec, VmStatus> vm, VmNic nic) =>
        vm.Status.Phase is not (VmPhase.Running or VmPhase.Rebooting) ? "— (the VM is not running)"
        : IsStatic(nic) ? "— (static address: Kraut sees only DHCP leases)"
        : "not seen yet";

    /// <summary>Why a running VM's NIC may show no address, once it has been silent for a while.</summary>
    private string? NicSilentHint(Resource<VmSpec, VmStatus> vm, VmNic nic)
    {
        if (vm.Status.Phase != VmPhase.Running || nic.Mac is null || IsStatic(nic) || !vm.Status.UnseenSince.TryGetValue(nic.Mac, out var since)) return null;
        if (Time.GetUtcNow().UtcDateTime - since < SilentNicHintAfter) return null;
        return "The guest has not asked for an address on this NIC yet. A guest configures a hot-plugged NIC only if " +
            "its network configuration covers it: reboot the VM (its cloud-init seed lists every NIC), or run DHCP on the new interface in the guest.";
    }

    private Task ResizeAsync(Resource<VmSpec, VmStatus> vm)
    {
        if (_vcpus == vm.Spec.Vcpus && _memory == vm.Spec.MemoryMiB)
        {
            Snackbar.Add("The size is unchanged.", Severity.Info);
            return Task.CompletedTask;
        }
        return _shell!.RunAsync(() => Vms.UpdateSpecAsync(Id, vm.Version, s => s with { Vcpus = _vcpus, MemoryMiB = _memory },
            $"resized to {_vcpus} vCPU, {_memory} MiB", CancellationToken.None), "Size saved.");
    }

    private async Task AddNicAsync(Resource<VmSpec, VmStatus> vm)
    {
        if (_newNicNetwork is not { } network) return;
        _nicErrors = [];
        var nic = new VmNic { NetworkId = network, Ipv4Address = Blank(_newNicIpv4), Ipv6Address = Blank(_newNicIpv6) };
        try
        {
            var added = await Ops.AddNicAsync(Id, nic, vm.Version, CancellationToken.None);
            Snackbar.Add($"NIC {added.Mac} added" + (added.Ipv4Address is { } ip ? $" with {ip}." : "."), Severity.Success);
            (_newNicNetwork, _newNicIpv4, _newNicIpv6) = (null, null, null);
        }
        catch (ValidationException e)
        {
            // The API's own words, at the field they are about; anything else as a message.
            foreach (var (field, messages) in e.Errors)
            {
                var key = field.EndsWith("ipv4Address", StringComparison.Ordinal) ? "ipv4" : field.EndsWith("ipv6Address", StringComparison.Ordinal) ? "ipv6" : null;
                if (key is not null) _nicErrors[key] = string.Join(" ", messages);
                else Snackbar.Add(string.Join(" ", messages), Severity.Error);
            }
        }
        catch (KrautProblemException e)
        {
            Snackbar.Add(e.Detail, Severity.Error);
        }
        await _shell!.RunAsync(() => Task.CompletedTask, null);
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private async Task RemoveNicAsync(Resource<VmSpec, VmStatus> vm, VmNic nic)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Remove NIC?", $"The NIC {nic.Mac} on {NetworkName(nic.NetworkId)} will be unplugged and its addresses released.", yesText: "Remove", cancelText: "Cancel");
        if (confirmed == true) await _shell!.RunAsync(() => Ops.RemoveNicAsync(Id, nic.Id, vm.Version, CancellationToken.None), "NIC removed.");
    }
}
