using KrautPortal.Features.Store;

namespace KrautPortal.Features.MachineTypes;

/// <summary>
/// "Who still uses this machine type?", asked before one is deleted. Machine types sit below the kinds that use them
/// and never read their records: each such kind answers (Vms/VmMachineTypeUsers.cs), registered as one of many.
/// </summary>
public interface IMachineTypeUsers
{
    /// <summary>Throws a conflict naming the users (those <paramref name="actor"/> may see) of the machine type, when there are any.</summary>
    Task EnsureUnusedAsync(Guid machineTypeId, string what, Actor actor, CancellationToken ct);
}
