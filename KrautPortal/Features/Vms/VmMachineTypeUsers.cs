using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms;

/// <summary>Answers <see cref="IMachineTypeUsers"/> for VMs: a machine type is in use while a VM has it.</summary>
public sealed class VmMachineTypeUsers(ResourceStore store) : IMachineTypeUsers
{
    public Task EnsureUnusedAsync(Guid machineTypeId, string what, Actor actor, CancellationToken ct) =>
        store.EnsureUnreferencedAsync<VmSpec>(Kinds.Vms, machineTypeId, vm => vm.MachineTypeId == machineTypeId, what, "Delete or change them first.", actor, ct);
}
