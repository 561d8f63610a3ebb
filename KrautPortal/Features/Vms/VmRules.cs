using KrautPortal.Features.Auth;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms;

public sealed class VmRules(ResourceStore store, HostRegistry hosts, VmReconciler reconciler) : IResourceRules<VmSpec, VmStatus>
{
    public const int MaxNics = 8;

    public KindInfo Kind => Kinds.Vms;
    public bool DeletesAsynchronously => true;

    public async Task<VmSpec> PrepareAsync(VmSpec spec, Resource<VmSpec, VmStatus>? existing, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (existing is not null && existing.Spec.ImageId != spec.ImageId)
            errors.Add("spec.imageId", "The image of an existing VM cannot change; create a new VM from the other image.");

        // A token's selector limits the VMs it reaches, not the (shared) images, machine types and networks a VM is built from.
        if (actor.Scope is { Selector: not null } scope) actor = actor with { Scope = scope with { Selector = null } };

        var image = await store.FindAsync(Kinds.Images.Name, spec.ImageId, actor, ct) is { } imageRow
            ? Resource<ImageSpec, ImageStatus>.FromRow(imageRow) : null;
        if (image is null) errors.Add("spec.imageId", $"There is no image with id {spec.ImageId}.");
        else if (existing is null && image.Status.Phase != ImagePhase.Ready)
            errors.Add("spec.imageId", $"Image '{image.Name}' is not ready yet (it is {image.Status.Phase}).");

        var machineType = await store.FindAsync(Kinds.MachineTypes.Name, spec.MachineTypeId, actor, ct) is { } mtRow
            ? Resource<MachineTypeSpec, MachineTypeStatus>.FromRow(mtRow) : null;
        if (machineType is null)
        {
            errors.Add("spec.machineTypeId", $"There is no machine type with id {spec.MachineTypeId}.");
        }
        else
        {
            var mt = machineType.Spec;
            spec = spec with
            {
                Vcpus = spec.Vcpus == 0 ? mt.Vcpus.Default : spec.Vcpus,
                MemoryMiB = spec.MemoryMiB == 0 ? mt.MemoryMiB.Default : spec.MemoryMiB,
            };
            if (!mt.Vcpus.Contains(spec.Vcpus))
                errors.Add("spec.vcpus", $"Machine type '{machineType.Name}' allows {mt.Vcpus.Min} to {mt.Vcpus.Max} vCPUs, not {spec.Vcpus}.");
            if (!mt.MemoryMiB.Contains(spec.MemoryMiB))
                errors.Add("spec.memoryMiB", $"Machine type '{machineType.Name}' allows {mt.MemoryMiB.Min} to {mt.MemoryMiB.Max} MiB, not {spec.MemoryMiB}.");
            if (image is not null && image.Spec.Architecture != mt.Architecture)
                errors.Add("spec.machineTypeId", $"Machine type '{machineType.Name}' is {mt.Architecture} but image '{image.Name}' is {image.Spec.Architecture}.");
            if (image is not null && spec.MemoryMiB < image.Spec.MinMemoryMiB)
                errors.Add("spec.memoryMiB", $"Image '{image.Name}' needs at least {image.Spec.MinMemoryMiB} MiB.");
            if (existing is null || existing.Spec.MachineTypeId != spec.MachineTypeId)
            {
                if (hosts.WhyCannotRun(mt.Architecture) is { } refusal) errors.Add("spec.machineTypeId", refusal);
            }
        }

        spec = spec with { Nics = await PrepareNicsAsync(spec.Nics, actor, errors, ct) };
        return CloudInit.GuestSettingsRules.Prepare(spec, errors);
    }

    private async Task<List<VmNic>> PrepareNicsAsync(IReadOnlyList<VmNic> nics, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (nics.Count > MaxNics) errors.Add("spec.nics", $"A VM may have at most {MaxNics} NICs.");
        var networks = await store.GetManyAsync(Kinds.Networks.Name, nics.Select(n => n.NetworkId), actor, ct);
        var prepared = new List<VmNic>();
        for (var i = 0; i < nics.Count; i++)
        {
            var nic = nics[i];
            if (!networks.TryGetValue(nic.NetworkId, out var network)) errors.Add($"spec.nics[{i}].networkId", $"There is no network with id {nic.NetworkId}.");
            else if (network.DeletionRequestedAt is not null) errors.Add($"spec.nics[{i}].networkId", "That network is being deleted.");
            var mac = nic.Mac?.ToLowerInvariant() ?? MacAddresses.NewMac();
            if (!MacAddresses.IsValid(mac)) errors.Add($"spec.nics[{i}].mac", $"'{nic.Mac}' is not a unicast MAC address like 52:54:00:12:34:56.");
            prepared.Add(nic with { Id = nic.Id == Guid.Empty ? Guid.CreateVersion7() : nic.Id, Mac = mac });
        }
        foreach (var dup in prepared.GroupBy(n => n.Mac).Where(g => g.Count() > 1))
            errors.Add("spec.nics", $"MAC {dup.Key} is used by more than one NIC.");
        foreach (var dup in prepared.GroupBy(n => n.Id).Where(g => g.Count() > 1))
            errors.Add("spec.nics", $"NIC id {dup.Key} appears more than once.");
        return prepared;
    }

    public VmStatus InitialStatus(VmSpec spec) => new();

    public Task EnsureDeletableAsync(Resource<VmSpec, VmStatus> existing, Actor actor, CancellationToken ct) => Task.CompletedTask;

    public void Changed(Guid id) => reconciler.Enqueue(id);
}
