using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Scheduling;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Capacity;

/// <summary>
/// Capacity of every host and in total: vCPUs and memory from each host's libvirt (<see cref="NodeFactsCache"/>), disk
/// from the filesystem of Kraut's data directory; allocated from the VMs placed on each host.
/// </summary>
/// <remarks>
/// A VM counts against its host from placement until its record is gone, stopped or not: a stopped VM may start at any
/// time, and placement (<see cref="HostRegistry.Place"/>) counts it too. A VM not yet placed counts nowhere until the
/// reconciler places it (seconds). Its size is the machine type's default where its spec leaves it 0; its disk is
/// its own size or, when it follows the image, the image's virtual size.
/// </remarks>
public sealed class CapacityService(KindReader reader, HostRegistry hosts, NodeFactsCache nodes, KrautPaths paths,
    OvercommitSettings overcommits, TimeProvider time) : ICapacityReader
{
    public Task<InstallationCapacity> GetAsync(CancellationToken ct) => PreviewAsync(o => o, ct);

    public async Task<InstallationCapacity> PreviewAsync(Func<HostOvercommits, HostOvercommits> change, CancellationToken ct)
    {
        var hostInputs = new List<HostInput>();
        foreach (var host in hosts.Hosts)
        {
            var reading = await nodes.GetAsync(host);
            hostInputs.Add(new HostInput(host.Uri, host.DisplayName, reading.Facts, reading.Error, host.WhyCannotRun));
        }

        var machineTypes = await reader.SpecsAsync<MachineTypeSpec>(Kinds.MachineTypes, ct);
        var images = await reader.AllAsync<ImageSpec, ImageStatus>(Kinds.Images, ct);
        var types = machineTypes.ToDictionary(t => t.Id);
        var imageSizes = images.ToDictionary(i => i.Id, i => i.Status.VirtualSizeBytes ?? 0);

        // Summed in the database by host, machine type and image: a VM whose size is 0 takes its machine type's default
        // (vCPUs, memory) or its image's size (disk), so those are counted per group and filled in here.
        var groups = await reader.GroupAsync(Kinds.Vms, VmKeys, VmSizes, owners: null, ct);
        var placed = groups.Where(g => g.Keys[0] is not null).Select(g =>
        {
            var mt = Guid.TryParse(g.Keys[1], out var mtId) ? types.GetValueOrDefault(mtId)?.Spec : null;
            var image = Guid.TryParse(g.Keys[2], out var imageId) ? imageSizes.GetValueOrDefault(imageId) : 0;
            var vcpus = g.Sums[0] + g.Zeros[0] * (mt?.Vcpus.Default ?? 0);
            var memoryMiB = g.Sums[1] + g.Zeros[1] * (mt?.MemoryMiB.Default ?? 0);
            var disk = (g.Sums[2] << 30) + g.Zeros[2] * image;
            return new PlacedVms(g.Keys[0]!, g.Count, vcpus, memoryMiB << 20, disk, mt?.Placement == HostPlacement.Dedicated);
        }).ToList();

        // What a user could pick: the machine types users see (not Kraut's own, not going away).
        var pickable = machineTypes.Where(t => !t.IsSystem && !t.Deleting).Select(t => new MachineTypeInput(t.Id, t.Name,
            t.Spec.Architecture, t.Spec.Placement, t.Spec.Vcpus.Default, (long)t.Spec.MemoryMiB.Default << 20)).ToList();
        var imageBytes = images.Sum(i => i.Status.ActualSizeBytes ?? i.Status.VirtualSizeBytes ?? 0);

        return CapacityCalculator.Compute(time.GetUtcNow().UtcDateTime, hostInputs, placed, imageBytes, DataDirectoryPool(), pickable,
            change(await overcommits.ReadAsync(ct)));
    }

    /// <summary>How capacity groups VMs and what it sums (public for the dashboard benchmark, which times this query).</summary>
    public static readonly JsonField[] VmKeys = [new("$.host", InStatus: true), new("$.machineTypeId"), new("$.imageId")];
    public static readonly JsonField[] VmSizes = [new("$.vcpus"), new("$.memoryMiB"), new("$.diskGiB")];

    private DiskPool DataDirectoryPool()
    {
        var drive = new DriveInfo(paths.Root);
        return new DiskPool(drive.TotalSize, drive.AvailableFreeSpace);
    }
}
