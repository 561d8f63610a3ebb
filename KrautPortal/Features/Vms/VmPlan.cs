using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms.CloudInit;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Vms;

/// <summary>
/// Everything one VM needs from other objects and from its host, resolved once per reconcile by <see cref="VmPlanner"/>:
/// the builder and the reconciler read only this, never the store. Immutable, like <see cref="NetworkPlan"/>.
/// A piece that no longer exists (an image or network deleted under a VM) is null here and refused with a
/// <see cref="VmBuildException"/> only by the step that needs it, so a running VM whose image went away is still observed.
/// </summary>
/// <param name="Host">Where the VM lives: the host its status names, or the one just chosen (<paramref name="Placed"/>);
/// null when its status names a host that is no longer configured.</param>
/// <param name="Placed">True when the VM had no host yet and this plan chose one, which the reconciler records first.</param>
/// <param name="Guest">The host's emulator for the machine type's architecture; null when the host cannot run it.</param>
/// <param name="DomainType">"kvm", "qemu" or "test", as the host's (cached) acceleration facts decide; null with no <paramref name="Guest"/>.</param>
/// <param name="AgentChannel">A router VM's channel to its agent (see <see cref="RouterVmMarker"/>); null for every other VM.</param>
public sealed record VmPlan(
    Resource<VmSpec, VmStatus> Vm,
    KrautHost? Host,
    bool Placed,
    PlannedMachineType? MachineType,
    PlannedImage? Image,
    GuestCapabilities? Guest,
    string? DomainType,
    IReadOnlyList<PlannedNic> Nics,
    ChannelDefinition? AgentChannel = null)
{
    public Guid Id => Vm.Id;
    public VmSpec Spec => Vm.Spec;

    /// <summary>A network's router (a marked system VM): its seed and NIC filters differ from a guest's.</summary>
    public bool IsRouter => RouterVmMarker.IsRouterVm(Vm);

    // Methods, not properties, for what can refuse: a record's ToString reads every property.
    public PlannedMachineType RequireMachineType() => MachineType ?? throw Gone(Kinds.MachineTypes, Spec.MachineTypeId);

    public PlannedImage RequireImage() => Image ?? throw Gone(Kinds.Images, Spec.ImageId);

    /// <summary>Each network the VM's NICs use, once, in the order the NICs name them.</summary>
    public IEnumerable<PlannedNetwork> Networks => Nics.Select(n => n.Network).OfType<PlannedNetwork>().DistinctBy(n => n.Id);

    /// <summary>Every NIC with its network; refused when one of those networks is gone.</summary>
    public IReadOnlyList<PlannedNic> RequireNics() =>
        Nics.FirstOrDefault(n => n.Network is null) is { } orphan ? throw Gone(Kinds.Networks, orphan.Nic.NetworkId) : Nics;

    /// <summary>The cloud-init seed's documents (meta-data, user-data, network-config).</summary>
    public SeedDocuments Seed()
    {
        var nics = RequireNics().Select(n => n.Seed!).ToList();
        return IsRouter ? SeedDocuments.ForRouter(Vm.Id, Vm.Name, Spec, nics) : SeedDocuments.For(Vm.Id, Vm.Name, Spec, nics);
    }

    /// <summary>The filter each NIC with a MAC (lower case) should have now; NICs whose network is gone keep what they have.</summary>
    public IReadOnlyDictionary<string, NicFilter> NicFilters =>
        Nics.Where(n => n.Nic.Mac is not null && n.Filter is not null)
            .ToDictionary(n => n.Nic.Mac!.ToLowerInvariant(), n => n.Filter!, StringComparer.Ordinal);

    private static VmBuildException Gone(KindInfo kind, Guid id) => new($"The {kind.Singular} {id} this VM refers to no longer exists.");
}

/// <summary>What a VM takes from its machine type beyond the sizes already in its spec.</summary>
public sealed record PlannedMachineType(Guid Id, string Name, string Architecture, HostPlacement Placement);

/// <summary>What a VM takes from its image: the facts its disk and domain are built from.</summary>
/// <param name="ContentPath">The image's content file in the store; null while it has no format (not ready).</param>
public sealed record PlannedImage(Guid Id, string Name, ImagePhase Phase, ImageFormat? Format, long? VirtualSizeBytes, Firmware Firmware, string? ContentPath);

/// <summary>
/// A network as the VM sees it. Its libvirt definition (a <see cref="NetworkPlan"/>) is derived by the
/// <see cref="NetworkRealizer"/> under its per-network lock, because it includes every other VM's NICs, which only
/// that lock keeps consistent; the VM's plan carries the network record it is derived from.
/// </summary>
public sealed record PlannedNetwork(Resource<NetworkSpec, NetworkStatus> Network, string LibvirtName)
{
    public Guid Id => Network.Id;
}

/// <summary>One NIC with its network (null when that network is gone), its network filter and what its cloud-init seed says.</summary>
public sealed record PlannedNic(VmNic Nic, PlannedNetwork? Network, NicFilter? Filter, SeedNic? Seed);
