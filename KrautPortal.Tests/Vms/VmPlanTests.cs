using System.Text.Json.Nodes;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Features.Vms.CloudInit;
using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Vms;

/// <summary>
/// A plan with a piece gone (an image, a machine type or a network deleted under a VM) is still a plan: only the step
/// that needs the piece refuses, so a running VM keeps being observed and its other NICs keep their filters.
/// </summary>
public sealed class VmPlanTests
{
    private static readonly Guid NetworkId = Guid.NewGuid();
    private static readonly Guid GoneNetworkId = Guid.NewGuid();

    private static readonly VmNic Kept = new() { Id = Guid.NewGuid(), NetworkId = NetworkId, Mac = "52:54:00:AA:00:01", Ipv4Address = "10.1.0.5" };
    private static readonly VmNic Orphan = new() { Id = Guid.NewGuid(), NetworkId = GoneNetworkId, Mac = "52:54:00:aa:00:02" };

    private static VmPlan Plan(PlannedImage? image = null, PlannedMachineType? machineType = null, bool withOrphan = true)
    {
        var spec = new VmSpec { ImageId = Guid.NewGuid(), MachineTypeId = Guid.NewGuid(), Nics = withOrphan ? [Kept, Orphan] : [Kept] };
        var now = DateTime.UtcNow;
        var vm = new Resource<VmSpec, VmStatus>(Guid.NewGuid(), Kinds.Vms.Name, "web", "alice", new JsonObject(), spec, new VmStatus(), 3, now, now, null);
        var networkSpec = new NetworkSpec { Ipv4Cidr = "10.1.0.0/24" };
        var network = new PlannedNetwork(new Resource<NetworkSpec, NetworkStatus>(NetworkId, Kinds.Networks.Name, "lan", "alice", new JsonObject(),
            networkSpec, new NetworkStatus(), 1, now, now, null), "kraut-test-lan");
        List<PlannedNic> nics = [new(Kept, network, GuestNicFilter.For(vm.Id, Kept, networkSpec), new SeedNic(Kept, networkSpec, "10.1.0.1", null))];
        if (withOrphan) nics.Add(new PlannedNic(Orphan, null, null, null));
        return new VmPlan(vm, Host: null, Placed: false, machineType, image, Guest: null, DomainType: null, nics);
    }

    [Fact]
    public void MissingImageAndMachineType_AreRefusedOnlyWhenAsked_NamingWhatIsGone()
    {
        var plan = Plan();

        Assert.Contains("image " + plan.Spec.ImageId, Assert.Throws<VmBuildException>(() => plan.RequireImage()).Message, StringComparison.Ordinal);
        Assert.Contains("machine type " + plan.Spec.MachineTypeId, Assert.Throws<VmBuildException>(() => plan.RequireMachineType()).Message, StringComparison.Ordinal);
        Assert.Contains("web", plan.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AGoneNetwork_RefusesTheNicsAndTheSeed_ButTheOtherNicsKeepTheirFilters()
    {
        var plan = Plan();

        Assert.Contains("network " + GoneNetworkId, Assert.Throws<VmBuildException>(() => plan.RequireNics()).Message, StringComparison.Ordinal);
        Assert.Throws<VmBuildException>(() => plan.Seed());
        var filter = Assert.Single(plan.NicFilters);
        Assert.Equal("52:54:00:aa:00:01", filter.Key);
        Assert.Equal(GuestFilters.Guest, filter.Value.Name);
        Assert.Equal([NetworkId], plan.Networks.Select(n => n.Id));
    }

    [Fact]
    public void AWholePlan_GivesItsPieces()
    {
        var image = new PlannedImage(Guid.NewGuid(), "debian", ImagePhase.Ready, ImageFormat.Qcow2, 1L << 30, Firmware.Bios, "/images/x.qcow2");
        var machineType = new PlannedMachineType(Guid.NewGuid(), "small", "x86_64", HostPlacement.Shared);
        var plan = Plan(image, machineType, withOrphan: false);

        Assert.Same(image, plan.RequireImage());
        Assert.Same(machineType, plan.RequireMachineType());
        Assert.Equal([Kept], plan.RequireNics().Select(n => n.Nic));
        Assert.Contains(Kept.Mac!.ToLowerInvariant(), plan.Seed().NetworkConfig, StringComparison.OrdinalIgnoreCase);
    }
}
