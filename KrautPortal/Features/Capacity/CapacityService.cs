using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using Microsoft.Extensions.Options;

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
    IOptions<CapacityOptions> options, TimeProvider time) : ICapacityReader
{
    public async Task<InstallationCapacity> GetAsync(CancellationToken ct)
    {
        var hostInputs = new List<HostInput>();
        foreach (var host in hosts.Hosts)
        {
            var reading = await nodes.GetAsync(host);
            hostInputs.Add(new HostInput(host.Uri, host.DisplayName, reading.Facts, reading.Error, host.WhyCannotRun));
        }

        var machineTypes = await reader.SpecsAsync<MachineTypeSpec>(Kinds.MachineTypes, ct);
        var images = await reader.AllAsync<ImageSpec, ImageStatus>(Kinds.Images, ct);
        var vms = await reader.AllAsync<VmSpec, VmStatus>(Kinds.Vms, ct, r => r.Status.Contains("\"host\""));
        var types = machineTypes.ToDictionary(t => t.Id);
        var imageSizes = images.ToDictionary(i => i.Id, i => i.Status.VirtualSizeBytes ?? 0);

        var placed = vms.Where(v => v.Status.Host is not null).Select(v =>
        {
            var mt = types.GetValueOrDefault(v.Spec.MachineTypeId)?.Spec;
            var vcpus = v.Spec.Vcpus > 0 ? v.Spec.Vcpus : mt?.Vcpus.Default ?? 0;
            var memoryMiB = v.Spec.MemoryMiB > 0 ? v.Spec.MemoryMiB : mt?.MemoryMiB.Default ?? 0;
            var disk = v.Spec.DiskGiB > 0 ? (long)v.Spec.DiskGiB << 30 : imageSizes.GetValueOrDefault(v.Spec.ImageId);
            return new PlacedVm(v.Status.Host!, vcpus, (long)memoryMiB << 20, disk, mt?.Placement == HostPlacement.Dedicated);
        }).ToList();

        // What a user could pick: the machine types users see (not Kraut's own, not going away).
        var pickable = machineTypes.Where(t => !t.IsSystem && !t.Deleting).Select(t => new MachineTypeInput(t.Id, t.Name,
            t.Spec.Architecture, t.Spec.Placement, t.Spec.Vcpus.Default, (long)t.Spec.MemoryMiB.Default << 20)).ToList();
        var imageBytes = images.Sum(i => i.Status.ActualSizeBytes ?? i.Status.VirtualSizeBytes ?? 0);

        return CapacityCalculator.Compute(time.GetUtcNow().UtcDateTime, hostInputs, placed, imageBytes, DataDirectoryPool(), pickable, options.Value);
    }

    private DiskPool DataDirectoryPool()
    {
        var drive = new DriveInfo(paths.Root);
        return new DiskPool(drive.TotalSize, drive.AvailableFreeSpace);
    }
}
