using KrautPortal.Features.Images;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;

namespace KrautPortal.Features.VmImages;

/// <summary>
/// Makes an image from a VM (<c>POST /api/v1/vms/{id}/image</c>): checks the caller may create images and see the VM, that
/// its disk can be read now, then stores the new image (the caller's, with the source image's attributes) already in
/// phase Copying, in one transaction with its source, and hands it to the <see cref="VmImageCopier"/>. Scoped.
/// </summary>
public sealed class VmImageMaker(
    IKindAuthorizer authorizer,
    ResourceService<VmSpec, VmStatus> vms,
    ResourceService<ImageSpec, ImageStatus> images,
    ResourceStore store,
    KindReader reader,
    VmDiskSource disks,
    VmImageCopier copier,
    TimeProvider time,
    ILogger<VmImageMaker> logger)
{
    public async Task<Resource<ImageSpec, ImageStatus>> MakeAsync(Guid vmId, VmImageRequest request, CancellationToken ct)
    {
        // Refused before anything is read: a token that may not create images learns nothing about the VM.
        authorizer.Demand(Verbs.Create, Kinds.Images);
        var vm = await vms.GetAsync(vmId, ct); // another tenant's VM: 404, as its GET
        if (disks.WhyNot(vm, request.SnapshotId is not null) is { } why) throw new ConflictException(why);
        if (request.SnapshotId is { } snapshot && !await disks.HasSnapshotAsync(vm.Id, snapshot, ct))
            throw new ValidationException("snapshotId", $"VM '{vm.Name}' has no snapshot {snapshot} in its disk; give the id of one of its snapshots.");

        var source = await reader.FindAsync<ImageSpec, ImageStatus>(Kinds.Images, vm.Spec.ImageId, ct);
        // What the VM needs to boot is what its image said: firmware, architecture, OS, minimum memory and disk.
        var spec = (source?.Spec ?? new ImageSpec()) with
        {
            Description = request.Description ?? $"Made from VM '{vm.Name}'" + (request.SnapshotId is { } s ? $" (snapshot {s})." : "."),
        };
        var copying = new ImageStatus
        {
            Phase = ImagePhase.Copying,
            PhaseStartedAt = time.GetUtcNow().UtcDateTime,
            Progress = 0,
            FromVm = new ImageVmSource(vm.Id, vm.Name, request.SnapshotId),
            Message = $"Copying the disk of VM '{vm.Name}'" + (request.SnapshotId is null ? "" : " as its snapshot holds it") + ".",
        };
        // One transaction: an image in the store is either waiting for its copy (which a restart redoes) or not there at all.
        var id = await store.InTransactionAsync(async () =>
        {
            var image = await images.CreateAsync(new ResourceInput<ImageSpec>(request.Name, request.Metadata, spec), ct);
            await store.SetStatusAsync(Kinds.Images.Name, image.Id, KrautJson.Serialize(copying), ct);
            return image.Id;
        }, ct);
        logger.LogInformation("Image {Image} is being made from VM {Vm}{Snapshot}", id, vm.Id, request.SnapshotId is { } at ? $" (snapshot {at})" : "");
        copier.Enqueue(id);
        return await images.GetAsync(id, ct);
    }
}
