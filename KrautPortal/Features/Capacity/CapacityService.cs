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
/// A VM counts against its host from placement until its record is gone, stopped or not, exactly as placement counts it
/// (<see cref="HostAllocations"/>): a stopped VM may start at any time; a moving one holds its source and its target. Its
/// size is the machine type's default where its spec leaves it 0; its disk is its own size or, when it follows the
/// image, the image's virtual size.
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
        var imageSizes = images.ToDictionary(i => i.Id, i => i.Status.VirtualSizeBytes ?? 0);

        // What placement counts (a moving VM on both hosts, a placed one not yet built on its spec's host).
        var placed = (await HostAllocations.SumAsync(reader, machineTypes.ToDictionary(t => t.Id, t => t.Spec), imageSizes, except: null, ct))
            .Select(a => new PlacedVms(a.Usage.Host, a.Usage.Vms, a.Usage.Vcpus, a.Usage.MemoryBytes, a.Usage.DiskBytes, a.Type?.Placement == HostPlacement.Dedicated))
            .ToList();

        // What a user could pick: the machine types users see (not Kraut's own, not going away).
        var pickable = machineTypes.Where(t => !t.IsSystem && !t.Deleting).Select(t => new MachineTypeInput(t.Id, t.Name,
            t.Spec.Architecture, t.Spec.Placement, t.Spec.Vcpus.Default, (long)t.Spec.MemoryMiB.Default << 20)).ToList();
        var imageBytes = images.Sum(i => i.Status.ActualSizeBytes ?? i.Status.VirtualSizeBytes ?? 0);

        return CapacityCalculator.Compute(time.GetUtcNow().UtcDateTime, hostInputs, placed, imageBytes, DataDirectoryPool(), pickable,
            change(await overcommits.ReadAsync(ct)));
    }


    private DiskPool DataDirectoryPool()
    {
        var drive = new DriveInfo(paths.Root);
        return new DiskPool(drive.TotalSize, drive.AvailableFreeSpace);
    }
}
