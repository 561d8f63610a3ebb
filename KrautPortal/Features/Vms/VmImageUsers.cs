using KrautPortal.Features.Images;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms;

/// <summary>Answers <see cref="IImageUsers"/> for VMs: an image is in use while a VM is made from it.</summary>
public sealed class VmImageUsers(ResourceStore store) : IImageUsers
{
    public Task EnsureUnusedAsync(Guid imageId, string what, Actor actor, CancellationToken ct) =>
        store.EnsureUnreferencedAsync<VmSpec>(Kinds.Vms, imageId, vm => vm.ImageId == imageId, what, "Delete those VMs first.", actor, ct);
}
