using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms;

public sealed record BulkActionResult(Guid Id, string Name, bool Ok, string? Error);

/// <summary>Life-cycle actions and NIC changes, shared by the API and the portal. Each records intent as a new version.</summary>
public sealed class VmOperations(ResourceService<VmSpec, VmStatus> vms, VmReconciler reconciler)
{
    public const int MaxBulk = 1000;
    public static readonly IReadOnlyList<string> Actions = ["start", "stop", "reboot", "force-off"];

    public async Task<Resource<VmSpec, VmStatus>> ActAsync(Guid id, string action, long? expectedVersion, CancellationToken ct)
    {
        var vm = action switch
        {
            "start" => await vms.UpdateSpecAsync(id, expectedVersion, s => s with { Power = PowerState.Running }, "action: start", ct, "start"),
            "stop" => await vms.UpdateSpecAsync(id, expectedVersion, s => s with { Power = PowerState.Stopped }, "action: stop", ct, "stop"),
            "force-off" => await vms.UpdateSpecAsync(id, expectedVersion,
                s => s with { Power = PowerState.Stopped, ForceOffGeneration = s.ForceOffGeneration + 1 }, "action: force-off", ct, "force-off"),
            "reboot" => await vms.UpdateSpecAsync(id, expectedVersion, s => s.Power == PowerState.Running
                ? s with { RebootGeneration = s.RebootGeneration + 1 }
                : throw new ConflictException("This VM is meant to be stopped; start it instead of rebooting it."), "action: reboot", ct, "reboot"),
            _ => throw new BadRequestException("Unknown action", $"'{action}' is not an action; use {string.Join(", ", Actions)}."),
        };
        // Also when nothing changed: "start" on a VM stopped behind Kraut's back must still start it.
        reconciler.Enqueue(id);
        return vm;
    }

    public async Task<IReadOnlyList<BulkActionResult>> ActOnSelectorAsync(string? selector, string action, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(selector))
            throw new BadRequestException("Selector required", "Acting on many VMs needs a selector, e.g. ?selector=env=test; an empty one would mean every VM.");
        if (!Actions.Contains(action))
            throw new BadRequestException("Unknown action", $"'{action}' is not an action; use {string.Join(", ", Actions)}.");
        var ids = await vms.ListIdsAsync(selector, MaxBulk, ct);
        var results = new List<BulkActionResult>();
        foreach (var id in ids)
        {
            try
            {
                var vm = await ActAsync(id, action, null, ct);
                results.Add(new BulkActionResult(id, vm.Name, true, null));
            }
            catch (KrautProblemException e)
            {
                var name = (await vms.FindAsync(id, ct))?.Name ?? "";
                results.Add(new BulkActionResult(id, name, false, e.Detail));
            }
        }
        return results;
    }

    /// <summary>Adds a NIC; empty MAC and addresses are allocated, given ones are reserved (or refused, naming the field).</summary>
    public async Task<VmNic> AddNicAsync(Guid id, VmNic nic, long? expectedVersion, CancellationToken ct)
    {
        var nicId = Guid.CreateVersion7();
        var vm = await vms.UpdateSpecAsync(id, expectedVersion, s => s with { Nics = [.. s.Nics, nic with { Id = nicId }] }, "NIC added", ct);
        return vm.Spec.Nics.First(n => n.Id == nicId);
    }

    public async Task RemoveNicAsync(Guid id, Guid nicId, long? expectedVersion, CancellationToken ct)
    {
        await vms.UpdateSpecAsync(id, expectedVersion, s => s.Nics.Any(n => n.Id == nicId)
            ? s with { Nics = s.Nics.Where(n => n.Id != nicId).ToList() }
            : throw new NotFoundException("NIC", nicId), "NIC removed", ct);
    }
}
