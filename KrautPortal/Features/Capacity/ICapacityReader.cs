namespace KrautPortal.Features.Capacity;

/// <summary>
/// One resource on a host or in total: what exists, what VMs were promised, the most that may be promised under the
/// overcommit ratio, and what is really in use (null when unknown: an unreachable host, or a figure libvirt lacks).
/// Units are the record's: vCPUs as a count, memory and disk in bytes.
/// </summary>
public sealed record CapacityAmount(double Physical, double Allocated, double Ceiling, double? Used);

public sealed record HostCapacity(string Uri, string DisplayName, bool Reachable, string? Error, int Vms,
    CapacityAmount Vcpus, CapacityAmount MemoryBytes, CapacityAmount DiskBytes);

/// <summary>"Fits N more of machine type X, limited by memory on host Y" (LimitedBy names the resource and host).</summary>
public sealed record MachineTypeFit(Guid MachineTypeId, string Name, int Fits, string LimitedBy);

public sealed record InstallationCapacity(DateTime At, IReadOnlyList<HostCapacity> Hosts,
    CapacityAmount Vcpus, CapacityAmount MemoryBytes, CapacityAmount DiskBytes, IReadOnlyList<MachineTypeFit> Fits);

/// <summary>The capacity figures, for the dashboards, the API and Metrics.</summary>
public interface ICapacityReader
{
    Task<InstallationCapacity> GetAsync(CancellationToken ct);

    /// <summary>The figures as they would be with <paramref name="change"/> applied to the overcommit set now (nothing is stored).</summary>
    Task<InstallationCapacity> PreviewAsync(Func<Scheduling.HostOvercommits, Scheduling.HostOvercommits> change, CancellationToken ct);
}
