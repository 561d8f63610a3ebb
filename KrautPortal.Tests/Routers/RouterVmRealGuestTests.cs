using KrautPortal.Features;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;
using KrautPortal.Hypervisor.Routers;
using KrautPortal.Tests.Support;
using KrautPortal.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace KrautPortal.Tests.Routers;

/// <summary>
/// A router VM made the way the router feature makes it (a marked system VM of the network's owner, from the registered
/// appliance) and built by the ordinary VM reconciler on real libvirtd + QEMU: the domain has the agent channel, the
/// agent answers on its socket, both legs come up static with the default route upstream, and the socket goes with the VM.
/// </summary>
[Collection(RealQemuCollection.Name)]
public sealed class RouterVmRealGuestTests : IDisposable
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(150);
    private readonly KrautAppFactory _app = new(KrautAppFactory.SystemDriver, seedImage: SeedImages.Guest);

    public RouterVmRealGuestTests() =>
        // Before the portal starts (on first use), so its start-up registers the appliance.
        File.Copy(KrautPortal.TestSupport.RouterAppliance.ImagePath, Path.Combine(_app.DataDirectory, "seed", RouterApplianceRegistry.ImageFile));

    [Fact]
    public async Task ARouterVm_BootsWithItsAgentChannel_BothLegsStatic_AndItsSocketGoesWithIt()
    {
        var (wanPrefix, lanPrefix) = (TestSubnets.FreePrefix(200, 240), TestSubnets.FreePrefix(200, 240));
        var wan = await NetworkAsync("rvm-wan", new NetworkSpec { Ipv4Cidr = $"{wanPrefix}.0/24", Gateway = new GatewaySpec { Kind = GatewayKind.Host, Nat = true } });
        var lan = await NetworkAsync("rvm-lan", new NetworkSpec { Ipv4Cidr = $"{lanPrefix}.0/24" });
        var parts = await PartsAsync();
        var id = Guid.CreateVersion7();
        var paths = _app.Service<KrautPaths>();
        var socket = paths.RouterAgentSocketFor(id);
        // What a crash or a by-hand undefine leaves behind must not keep QEMU from binding.
        File.WriteAllText(socket, "stale");

        var router = await VmsAsKraut(vms => vms.CreateAsync(new ResourceInput<VmSpec>("rvm-router", RouterVmMarker.Metadata(Guid.NewGuid()), new VmSpec
        {
            ImageId = parts.ImageId,
            MachineTypeId = parts.MachineTypeId,
            Vcpus = parts.Vcpus,
            MemoryMiB = parts.MemoryMiB,
            Hostname = "rvm-edge",
            Nics = [new VmNic { NetworkId = wan.Id }, new VmNic { NetworkId = lan.Id }],
        }, Owner: RouterVmApp.Owner), CancellationToken.None, isSystem: true, id: id));

        var (up, down) = (router.Spec.Nics[0], router.Spec.Nics[1]);
        var console = paths.ConsoleFor(id);
        await Eventually.WaitUntilAsync(() => GuestConsole.Read(console).Contains(KrautPortal.TestSupport.RouterAppliance.ReadyMarker, StringComparison.Ordinal),
            Boot, "the router's agent on its console");
        var log = GuestConsole.Read(console);
        Assert.Contains("KRAUT-GUEST-BOOTED hostname=rvm-edge", log, StringComparison.Ordinal);
        Assert.Contains($"KRAUT-GUEST-ADDR iface=eth0 mac={up.Mac!.ToLowerInvariant()} family=inet addr={up.Ipv4Address}/24 source=static", log, StringComparison.Ordinal);
        Assert.Contains($"KRAUT-GUEST-ADDR iface=eth1 mac={down.Mac!.ToLowerInvariant()} family=inet addr={down.Ipv4Address}/24 source=static", log, StringComparison.Ordinal);
        Assert.Contains($"KRAUT-GUEST-ROUTE default via={wanPrefix}.1 iface=eth0", log, StringComparison.Ordinal);
        Assert.DoesNotContain("iface=eth1 source=dhcp", log, StringComparison.Ordinal);
        Assert.DoesNotContain("KRAUT-GUEST-USERDATA-START", log, StringComparison.Ordinal);
        Assert.DoesNotContain("built-in shell (ash)", log, StringComparison.Ordinal); // a router's console has no shell

        using (var libvirt = LibvirtConnection.Open(KrautAppFactory.SystemDriver))
        using (var domain = libvirt.FindDomain(id) ?? throw new InvalidOperationException("the router's domain is not defined"))
        {
            Assert.Equal(new ChannelDefinition(socket, RouterVmMarker.AgentChannel), DomainXml.Parse(domain.GetXml()).AgentChannel);
            Assert.DoesNotContain("<graphics", domain.GetXml(), StringComparison.Ordinal); // nor a screen
        }
        Assert.False(File.Exists(paths.VncSocketFor(id)));
        // The agent answers on the socket (nothing is loaded yet); the stale file would have refused the connection.
        Assert.Null(await new RouterAgentClient().LoadedAsync(socket, CancellationToken.None));

        await VmsAsKraut(vms => vms.DeleteAsync(id, null, CancellationToken.None));
        await Eventually.WaitUntilAsync(async () => await VmsAsKraut(vms => vms.FindAsync(id, CancellationToken.None)) is null, Boot, "the router VM deleted");
        Assert.False(File.Exists(socket), $"{socket} is still there after the VM was deleted");
    }

    private async Task<RouterApplianceParts> PartsAsync()
    {
        await using var scope = _app.CreateActorScope();
        var lookup = await RouterApplianceRegistry.FindAsync(scope.ServiceProvider.GetRequiredService<KindReader>(), CancellationToken.None);
        return lookup.Parts ?? throw new InvalidOperationException(lookup.Problem);
    }

    private async Task<Resource<NetworkSpec, NetworkStatus>> NetworkAsync(string name, NetworkSpec spec)
    {
        await using var scope = _app.CreateActorScope();
        return await scope.ServiceProvider.GetRequiredService<ResourceService<NetworkSpec, NetworkStatus>>().AsKraut()
            .CreateAsync(new ResourceInput<NetworkSpec>(name, [], spec, Owner: RouterVmApp.Owner), CancellationToken.None);
    }

    private async Task<T> VmsAsKraut<T>(Func<ResourceService<VmSpec, VmStatus>, Task<T>> work)
    {
        await using var scope = _app.CreateActorScope();
        return await work(scope.ServiceProvider.GetRequiredService<ResourceService<VmSpec, VmStatus>>().AsKraut());
    }

    public void Dispose() => _app.Dispose();
}
