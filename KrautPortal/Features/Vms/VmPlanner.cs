using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms.CloudInit;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Vms;

/// <summary>
/// Resolves a VM's spec into its <see cref="VmPlan"/>: one read of each object it refers to, through
/// <see cref="KindReader"/>, and the host facts <see cref="HostRegistry"/> keeps. Scoped (it reads the store).
/// </summary>
/// <remarks>
/// The path of a VM create, in one line:
/// <list type="number">
/// <item>The wizard (<c>Vms/Wizard</c>) or <c>POST /api/v1/vms</c> (<c>VmsApi</c>) hands the spec to the generic
/// <c>ResourceService</c>, which runs <see cref="VmRules"/>: <c>PrepareAsync</c> checks the image, machine type and
/// networks the caller may see, and the hosts' cached capabilities (never libvirt); <c>WritingAsync</c>, inside the
/// write's transaction, gives each NIC its MAC and addresses (IPAM). The record is stored with phase Pending and
/// <c>Changed</c> queues it for the <see cref="VmReconciler"/>.</item>
/// <item>The reconciler asks this planner for the <see cref="VmPlan"/>: image, machine type, networks, NIC filters and
/// seed inputs, and a host (placement) with its emulator and domain type. A newly placed VM's host is stored first.</item>
/// <item><see cref="VmBuilder"/> works from the plan alone: it realises the networks (with this VM's DHCP reservations)
/// and writes the cloud-init seed while the disk overlay is made, then gives the domain definition.</item>
/// <item>The reconciler defines the domain and starts it in libvirt, then records what libvirt reports (phase Running).</item>
/// </list>
/// Every later pass (an edit, an action, a libvirt event, the 10-second poll) goes the same way from a fresh plan.
/// </remarks>
public sealed class VmPlanner(KindReader reader, HostRegistry hosts, KrautInstance instance, ImageStorage images, KrautPaths paths, VmScheduling scheduling)
{
    public async Task<VmPlan> PlanAsync(Resource<VmSpec, VmStatus> vm, CancellationToken ct)
    {
        var spec = vm.Spec;
        var machineType = await reader.FindAsync<MachineTypeSpec, MachineTypeStatus>(Kinds.MachineTypes, spec.MachineTypeId, ct) is { } mt
            ? new PlannedMachineType(mt.Id, mt.Name, mt.Spec.Architecture, mt.Spec.Placement)
            : null;
        var image = await reader.FindAsync<ImageSpec, ImageStatus>(Kinds.Images, spec.ImageId, ct) is { } i
            ? new PlannedImage(i.Id, i.Name, i.Status.Phase, i.Status.Format, i.Status.VirtualSizeBytes, i.Spec.Firmware,
                i.Status.Format is { } format ? images.PathFor(i.Id, format) : null)
            : null;
        var nics = await NicsAsync(vm, ct);

        var placed = vm.Status.Host is null;
        var host = placed ? await PlaceAsync(vm, ct) : hosts.Find(vm.Status.Host);
        var guest = host is not null && machineType is not null ? host.GuestFor(machineType.Architecture) : null;
        var domainType = guest is not null ? await hosts.DomainTypeForAsync(host!, machineType!.Architecture) : null;
        // Only Kraut makes system VMs, so only a router it made talks to the host over a channel.
        var agent = RouterVmMarker.IsRouterVm(vm) ? new ChannelDefinition(paths.RouterAgentSocketFor(vm.Id), RouterVmMarker.AgentChannel) : null;
        return new VmPlan(vm, host, placed, machineType, image, guest, domainType, nics, agent);
    }

    private async Task<IReadOnlyList<PlannedNic>> NicsAsync(Resource<VmSpec, VmStatus> vm, CancellationToken ct)
    {
        var ids = vm.Spec.Nics.Select(n => n.NetworkId).Distinct().ToList();
        var networks = ids.Count == 0 ? [] : (await reader.AllAsync<NetworkSpec, NetworkStatus>(Kinds.Networks, ct, r => ids.Contains(r.Id)))
            .ToDictionary(n => n.Id, n => new PlannedNetwork(n, NetworkNames.LibvirtName(instance, n.Id)));
        var isRouter = RouterVmMarker.IsRouterVm(vm);
        var nics = new List<PlannedNic>();
        for (var index = 0; index < vm.Spec.Nics.Count; index++)
        {
            var nic = vm.Spec.Nics[index];
            if (!networks.TryGetValue(nic.NetworkId, out var network))
            {
                nics.Add(new PlannedNic(nic, null, null, null));
                continue;
            }
            var spec = network.Network.Spec;
            nics.Add(isRouter
                ? new PlannedNic(nic, network, GuestNicFilter.ForRouterLeg(vm.Id, index, nic, network), await RouterSeedNicAsync(index, nic, network, ct))
                : new PlannedNic(nic, network, GuestNicFilter.For(vm.Id, nic, spec), await SeedNicAsync(nic, network, ct)));
        }
        return nics;
    }

    /// <summary>
    /// A router's legs are static on their IPAM addresses whatever the networks' modes; the default route goes through
    /// the upstream network's gateway, never through the routed network (the router is the gateway there).
    /// </summary>
    private async Task<SeedNic> RouterSeedNicAsync(int index, VmNic nic, PlannedNetwork network, CancellationToken ct) =>
        index == RouterVmMarker.UpstreamNic
            ? await SeedNicAsync(nic, network, ct, forceStatic: true) with { Static = true }
            : new SeedNic(nic, network.Network.Spec, null, null, Static: true);

    /// <summary>
    /// The routers a NIC's static addresses use: the host's first address, a fixed one, a gateway VM's NIC, or on a network
    /// without a gateway its router VM's leg (the address its DHCP announces too).
    /// </summary>
    private async Task<SeedNic> SeedNicAsync(VmNic nic, PlannedNetwork planned, CancellationToken ct, bool forceStatic = false)
    {
        var network = planned.Network.Spec;
        var gateway = network.Gateway;
        string? v4 = null, v6 = null;
        switch (gateway.Kind)
        {
            case GatewayKind.Host:
                v4 = Ipv4Subnet.TryParse(network.Ipv4Cidr, out var subnet, out _) ? subnet.Gateway.ToString() : null;
                v6 = NetworkConfigWriter.FirstAddress(network.Ipv6Prefix);
                break;
            case GatewayKind.Address:
                v4 = gateway.Address;
                break;
            case GatewayKind.Vm when gateway.VmId is { } routerId:
                var router = await reader.FindAsync<VmSpec, VmStatus>(Kinds.Vms, routerId, ct);
                var routerNic = router?.Spec.Nics.FirstOrDefault(n => n.Id == gateway.NicId);
                // A gateway VM that went away leaves the NIC without a default route rather than without a seed.
                if (routerNic is not null && routerNic.Mac != nic.Mac) (v4, v6) = (routerNic.Ipv4Address, routerNic.Ipv6Address);
                break;
            // Only static addressing uses it (DHCP announces the router itself): no look-up for every guest on an isolated network.
            case GatewayKind.None when (forceStatic || network.Ipv4Mode == Ipv4Mode.Static)
                && await RouterVmMarker.RouterNicOnAsync(reader, planned.Id, ct) is { } leg && leg.Mac != nic.Mac:
                v4 = leg.Ipv4Address;
                break;
        }
        return new SeedNic(nic, network, v4, v6);
    }

    /// <summary>
    /// A VM stored before placement moved into the create (no host in spec or status) is placed here, by the same
    /// scheduler; outside the create's transaction, which only such old records need.
    /// </summary>
    private async Task<KrautHost> PlaceAsync(Resource<VmSpec, VmStatus> vm, CancellationToken ct)
    {
        if (vm.Spec.Host is { } chosen) return hosts.Find(chosen) ?? throw new PlacementException($"This VM was placed on {chosen}, which is no longer configured.");
        var decision = await scheduling.DecideAsync(vm.Id, vm.Spec, vm.Metadata, new Actor(vm.Owner, IsAdmin: false, []), ct);
        return decision.Host is { } host ? hosts.Find(host)! : throw new PlacementException(decision.Explain());
    }

}
