using KrautPortal.Features.Auth;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Networks.Ipam;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms;

public sealed class VmRules(ResourceStore store, HostRegistry hosts, VmReconciler reconciler, IpamService ipam, VmScheduling scheduling,
    IVmRestoreSource? restores = null)
    : IResourceRules<VmSpec, VmStatus>, ITransactionalRules<VmSpec>, ICreatingRules<VmSpec>
{
    /// <summary>How many (anti-)affinity rules a VM may carry: each is evaluated against every placed VM.</summary>
    public const int MaxPlacementRules = 16;

    public const int MaxNics = 8;
    public const int MaxDiskGiB = 65536;

    /// <summary>The blank disk a VM from an installer ISO gets when neither the VM nor the image names a size.</summary>
    public const int DefaultInstallDiskGiB = 10;

    public KindInfo Kind => Kinds.Vms;
    public bool DeletesAsynchronously => true;

    public async Task<VmSpec> PrepareAsync(VmSpec spec, Resource<VmSpec, VmStatus>? existing, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (existing is not null && existing.Spec.ImageId != spec.ImageId)
            errors.Add("spec.imageId", "The image of an existing VM cannot change; create a new VM from the other image.");

        if (spec.RestoreFrom is { } backupId && existing?.Spec.RestoreFrom != backupId)
        {
            var problem = existing is not null ? "A VM is made from a backup only when it is created; restore a backup over it from the backup instead."
                : restores is null ? "Backups are not available on this portal." : await restores.ProblemAsync(backupId, actor, ct);
            if (problem is not null) errors.Add("spec.restoreFrom", problem);
        }

        // A token's selector limits the VMs it reaches, not the (shared) images, machine types and networks a VM is built from.
        if (actor.Scope is { Selector: not null } scope) actor = actor with { Scope = scope with { Selector = null } };

        var image = await store.FindAsync(Kinds.Images.Name, spec.ImageId, actor, ct) is { } imageRow
            ? Resource<ImageSpec, ImageStatus>.FromRow(imageRow) : null;
        if (image is null) errors.Add("spec.imageId", $"There is no image with id {spec.ImageId}.");
        else if (existing is null && image.Status.Phase != ImagePhase.Ready)
            errors.Add("spec.imageId", $"Image '{image.Name}' is not ready yet (it is {image.Status.Phase}).");

        spec = spec with { DiskGiB = PrepareDisk(spec.DiskGiB, image, existing, errors) };
        // Action counters only go up: a revert (or a PUT of an old document) lowering them would make the next
        // reboot or force-off count below what the reconciler already carried out, and silently do nothing.
        if (existing is not null)
            spec = spec with
            {
                RebootGeneration = Math.Max(spec.RebootGeneration, existing.Spec.RebootGeneration),
                ForceOffGeneration = Math.Max(spec.ForceOffGeneration, existing.Spec.ForceOffGeneration),
            };

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

        spec = spec with { Host = PrepareHost(spec.Host, existing, errors), Placement = PreparePlacement(spec.Placement, errors) };
        spec = spec with { Nics = await PrepareNicsAsync(spec.Nics, existing?.Spec.Nics ?? [], actor, errors, ct) };
        return CloudInit.GuestSettingsRules.Prepare(spec, errors);
    }

    /// <summary>Kraut chooses the host at create; later writes keep it (a document sent back whole may repeat it).</summary>
    private static string? PrepareHost(string? host, Resource<VmSpec, VmStatus>? existing, ValidationErrors errors)
    {
        if (existing is null)
        {
            if (host is not null) errors.Add("spec.host", "Kraut chooses the host when the VM is created; leave spec.host out (POST /api/v1/vms/placement-preview shows where it would go).");
            return null;
        }
        if (host is not null && host != existing.Spec.Host)
            errors.Add("spec.host", $"The VM was placed on {existing.Spec.Host ?? existing.Status.Host ?? "no host yet"}; spec.host cannot be changed.");
        return existing.Spec.Host;
    }

    /// <summary>Each selector parsed as list filters parse it, so a rule that could never match is refused now, not ignored later.</summary>
    private static VmPlacement? PreparePlacement(VmPlacement? placement, ValidationErrors errors)
    {
        if (placement is null) return null;
        if (placement.Affinity.Count + placement.AntiAffinity.Count > MaxPlacementRules)
            errors.Add("spec.placement", $"A VM may have at most {MaxPlacementRules} affinity and anti-affinity rules together.");
        void Check(IReadOnlyList<VmPlacementRule> rules, string field)
        {
            for (var i = 0; i < rules.Count; i++)
            {
                try
                {
                    if (Store.Selectors.SelectorParser.Parse(rules[i].Selector).IsEmpty)
                        errors.Add($"spec.placement.{field}[{i}].selector", "Give a selector such as app=db; an empty one would match every VM.");
                }
                catch (Store.Selectors.SelectorParseException e)
                {
                    errors.Add($"spec.placement.{field}[{i}].selector", e.Message);
                }
            }
        }
        Check(placement.Affinity, "affinity");
        Check(placement.AntiAffinity, "antiAffinity");
        return placement.Affinity.Count + placement.AntiAffinity.Count == 0 ? null : placement;
    }

    /// <summary>The disk size to store: an installer's blank disk is given its size now; a disk image keeps 0 for "as the image".</summary>
    private static int PrepareDisk(int diskGiB, Resource<ImageSpec, ImageStatus>? image, Resource<VmSpec, VmStatus>? existing, ValidationErrors errors)
    {
        if (existing is not null)
        {
            if (diskGiB != 0 && diskGiB != existing.Spec.DiskGiB)
                errors.Add("spec.diskGiB", $"The disk of an existing VM cannot be resized ({existing.Spec.DiskGiB} GiB); create a new VM with the size you need.");
            return existing.Spec.DiskGiB;
        }
        if (diskGiB is < 0 or > MaxDiskGiB)
        {
            errors.Add("spec.diskGiB", $"Must be between 0 and {MaxDiskGiB}.");
            return diskGiB;
        }
        if (image is null) return diskGiB;
        if (image.Status.Format == ImageFormat.Iso)
        {
            var minimum = Math.Max(image.Spec.MinDiskGiB, 1);
            if (diskGiB == 0) return image.Spec.MinDiskGiB > 0 ? image.Spec.MinDiskGiB : DefaultInstallDiskGiB;
            if (diskGiB < minimum) errors.Add("spec.diskGiB", $"Image '{image.Name}' needs a disk of at least {minimum} GiB.");
            return diskGiB;
        }
        if (diskGiB != 0 && image.Status.VirtualSizeBytes is { } imageBytes && (long)diskGiB << 30 < imageBytes)
        {
            errors.Add("spec.diskGiB", $"Image '{image.Name}' is a {Sizes.Describe(imageBytes)} disk; the VM's disk cannot be smaller. " +
                $"Use {(imageBytes + (1L << 30) - 1) >> 30} GiB or more, or 0 for the image's size.");
        }
        return diskGiB;
    }

    private async Task<List<VmNic>> PrepareNicsAsync(IReadOnlyList<VmNic> nics, IReadOnlyList<VmNic> before, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        if (nics.Count > MaxNics) errors.Add("spec.nics", $"A VM may have at most {MaxNics} NICs.");
        var networks = await store.GetManyAsync(Kinds.Networks.Name, nics.Select(n => n.NetworkId), actor, ct);
        var prepared = new List<VmNic>();
        for (var i = 0; i < nics.Count; i++)
        {
            var nic = nics[i];
            if (!networks.TryGetValue(nic.NetworkId, out var network)) errors.Add($"spec.nics[{i}].networkId", $"There is no network with id {nic.NetworkId}.");
            else if (network.DeletionRequestedAt is not null) errors.Add($"spec.nics[{i}].networkId", "That network is being deleted.");
            var mac = nic.Mac?.ToLowerInvariant();
            if (mac is not null && !MacAddresses.IsValid(mac)) errors.Add($"spec.nics[{i}].mac", $"'{nic.Mac}' is not a unicast MAC address like 52:54:00:12:34:56.");
            // A NIC keeps its MAC and addresses for life: left out, they stay; changed, they are refused.
            if (before.FirstOrDefault(b => b.Id == nic.Id && nic.Id != Guid.Empty) is { } old)
            {
                mac ??= old.Mac;
                nic = nic with { Ipv4Address = Keep(old.Ipv4Address, nic.Ipv4Address, $"spec.nics[{i}].ipv4Address", errors),
                    Ipv6Address = Keep(old.Ipv6Address, nic.Ipv6Address, $"spec.nics[{i}].ipv6Address", errors) };
                if (old.NetworkId != nic.NetworkId) errors.Add($"spec.nics[{i}].networkId", "A NIC stays on its network; remove it and add a new NIC instead.");
                if (old.Mac is not null && mac != old.Mac) errors.Add($"spec.nics[{i}].mac", "A NIC keeps its MAC; remove it and add a new NIC instead.");
            }
            prepared.Add(nic with { Id = nic.Id == Guid.Empty ? Guid.CreateVersion7() : nic.Id, Mac = mac });
        }
        foreach (var dup in prepared.Where(n => n.Mac is not null).GroupBy(n => n.Mac).Where(g => g.Count() > 1))
            errors.Add("spec.nics", $"MAC {dup.Key} is used by more than one NIC.");
        foreach (var dup in prepared.GroupBy(n => n.Id).Where(g => g.Count() > 1))
            errors.Add("spec.nics", $"NIC id {dup.Key} appears more than once.");
        return prepared;
    }

    private static string? Keep(string? old, string? wanted, string field, ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(wanted)) return old;
        if (old is not null && !SameAddress(old, wanted)) errors.Add(field, $"A NIC keeps its address ({old}) for life; remove it and add a new NIC instead.");
        return wanted;
    }

    private static bool SameAddress(string a, string b) =>
        System.Net.IPAddress.TryParse(a, out var x) && System.Net.IPAddress.TryParse(b, out var y) ? x.Equals(y) : a == b;

    /// <summary>Inside the write's transaction: frees what removed NICs held, then gives every NIC its MAC and addresses.</summary>
    public async Task<VmSpec> WritingAsync(Guid id, VmSpec spec, VmSpec? previous, Actor actor, ValidationErrors errors, CancellationToken ct)
    {
        await ipam.ReleaseAsync(id, spec.Nics.Select(n => n.Id).ToList(), ct);
        var networks = await store.GetManyAsync(Kinds.Networks.Name, spec.Nics.Select(n => n.NetworkId), Actor.System, ct);
        var nics = new List<VmNic>();
        for (var i = 0; i < spec.Nics.Count; i++)
        {
            var row = networks[spec.Nics[i].NetworkId];
            var network = new IpamNetwork(row.Id, row.Name, new AddressPlan(Resource<NetworkSpec, NetworkStatus>.FromRow(row).Spec));
            nics.Add(await ipam.AssignAsync(id, spec.Nics[i], network, $"spec.nics[{i}]", errors, ct));
        }
        return spec with { Nics = nics };
    }

    public string LockName => VmScheduling.LockName;

    /// <summary>
    /// Last inside the create's transaction, under the placement lock: chooses the host from what is placed now, so
    /// parallel creates (on this or another replica) each see the ones before. None fits: 409 naming each host's filter.
    /// </summary>
    public async Task<VmSpec> CreatingAsync(Guid id, VmSpec spec, System.Text.Json.Nodes.JsonObject metadata, Actor actor, CancellationToken ct)
    {
        var decision = await scheduling.DecideAsync(id, spec, metadata, actor, ct);
        return decision.Host is { } host ? spec with { Host = host } : throw new Scheduling.NoValidHostException(decision);
    }

    /// <summary>The placement is where the reconciler and capacity read it from the start.</summary>
    public VmStatus InitialStatus(VmSpec spec) => new() { Host = spec.Host };

    public Task EnsureDeletableAsync(Resource<VmSpec, VmStatus> existing, Actor actor, CancellationToken ct) => Task.CompletedTask;

    public void Changed(Guid id) => reconciler.Enqueue(id);
}
