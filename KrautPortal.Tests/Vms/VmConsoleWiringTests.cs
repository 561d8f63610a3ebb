using System.Text.Json.Nodes;
using KrautPortal.Features;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;

namespace KrautPortal.Tests.Vms;

/// <summary>Which VMs get a VNC socket: every ordinary VM, never a system VM (a network's router).</summary>
public sealed class VmConsoleWiringTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kraut-vnc-wiring-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static VmPlan Plan(bool system, JsonObject metadata)
    {
        var now = DateTime.UtcNow;
        var vm = new Resource<VmSpec, VmStatus>(Guid.NewGuid(), Kinds.Vms.Name, "web", "alice", metadata, new VmSpec { ImageId = Guid.NewGuid(), MachineTypeId = Guid.NewGuid() }, new VmStatus(), 1, now, now, null, system);
        return new VmPlan(vm, Host: null, Placed: false, null, null, Guest: null, DomainType: null, []);
    }

    [Fact]
    public void AnOrdinaryVm_GetsItsVncSocketUnderTheDataDirectory()
    {
        var paths = new KrautPaths(_dir.FullName);
        var plan = Plan(system: false, new JsonObject());

        var socket = VmBuilder.VncSocket(plan, paths);

        Assert.Equal(paths.VncSocketFor(plan.Id), socket);
        Assert.StartsWith(paths.VncSockets + "/", socket, StringComparison.Ordinal);
    }

    [Fact]
    public void ARouterVm_GetsNoVnc()
    {
        var plan = Plan(system: true, RouterVmMarker.Metadata(Guid.NewGuid()));

        Assert.True(plan.IsRouter);
        Assert.Null(VmBuilder.VncSocket(plan, new KrautPaths(_dir.FullName)));
    }

    [Fact]
    public void AnOrdinaryVm_WithTheRouterMarkerInItsMetadata_StillGetsVnc()
    {
        // Only Kraut makes system VMs: a user's metadata cannot turn a VM's screen off (or make it a router).
        var plan = Plan(system: false, RouterVmMarker.Metadata(Guid.NewGuid()));

        Assert.NotNull(VmBuilder.VncSocket(plan, new KrautPaths(_dir.FullName)));
    }
}
