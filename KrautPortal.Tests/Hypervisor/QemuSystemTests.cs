using KrautPortal.Hypervisor;
using static KrautPortal.Tests.Hypervisor.TestSupport;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>Against the real libvirtd (qemu:///system): bridges, dnsmasq, QEMU under TCG. Fails when libvirtd is down.</summary>
public sealed class QemuSystemTests : IDisposable
{
    private readonly LibvirtConnection _conn = LibvirtConnection.Open(SystemUri);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kraut-qemu-test-");

    public void Dispose()
    {
        _conn.Dispose();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public void Open_System_IsAliveAndNotTestDriver()
    {
        Assert.Equal(SystemUri, _conn.Uri);
        Assert.False(_conn.IsTestDriver);
        Assert.True(_conn.IsAlive);
        Assert.NotNull(_conn.GetCapabilities().FindGuest("x86_64")?.Emulator);
    }

    [Fact]
    public void IsolatedNetwork_WithDhcp_StartsWithABridge_AndIsRemoved()
    {
        var def = IsolatedNetwork();
        try
        {
            using var net = _conn.DefineNetwork(NetworkXml.Build(def));
            net.Start();

            Assert.True(net.IsActive);
            var bridge = net.GetBridgeName();
            Assert.False(string.IsNullOrEmpty(bridge));
            Assert.True(Directory.Exists($"/sys/class/net/{bridge}"), $"bridge {bridge} exists on the host");
            Assert.Empty(net.GetDhcpLeases());

            net.Destroy();
            Assert.False(Directory.Exists($"/sys/class/net/{bridge}"));
            net.Undefine();
            Assert.Null(_conn.FindNetwork(def.Name));
        }
        finally
        {
            RemoveNetwork(_conn, def.Name);
        }
    }

    [Fact]
    public async Task TcgDomain_OnOverlay_StartsHotplugsANicAndIsRemoved()
    {
        var caps = _conn.GetCapabilities();
        var guest = caps.FindGuest("x86_64") ?? throw new InvalidOperationException("no x86_64 emulator");
        var kernel = TestGuest.KernelPath;
        var netDef = IsolatedNetwork();
        var basePath = Path.Combine(_dir.FullName, "base.qcow2");
        var overlay = Path.Combine(_dir.FullName, "vm.qcow2");
        var serial = Path.Combine(_dir.FullName, "serial.log");
        var domDef = new DomainDefinition(
            Guid.NewGuid(),
            UniqueName("vm-"),
            HostileName,
            "qemu",
            "x86_64",
            guest.EmulatorFor("qemu"),
            null,
            1,
            256,
            [new DiskDefinition(overlay, "qcow2", "vda", "virtio")],
            [],
            serial,
            Metadata(HostileName),
            // The kernel waits forever for a root disk that never appears, yet keeps serving ACPI:
            // enough for the guest to complete a PCI hot-unplug, with no guest image needed.
            DirectKernel: new DirectKernelBoot(kernel, null, "console=ttyS0 root=/dev/kraut-none rootwait"));
        var nic = new NicDefinition(RandomMac(), netDef.Name);

        using var events = _conn.SubscribeDomainEvents();
        try
        {
            await QemuImg.CreateAsync(basePath, "qcow2", 64L << 20, CancellationToken.None);
            await QemuImg.CreateOverlayAsync(overlay, basePath, "qcow2", null, CancellationToken.None);
            Assert.Equal(basePath, (await QemuImg.InfoAsync(overlay, "qcow2", CancellationToken.None)).BackingFilename);

            using var net = _conn.DefineNetwork(NetworkXml.Build(netDef));
            net.Start();

            using var dom = _conn.DefineDomain(DomainXml.Build(domDef));
            Assert.Equal(DomainState.Shutoff, dom.GetState());
            dom.Start();

            await WaitForEventAsync(events, domDef.Uuid, DomainEventType.Started, TimeSpan.FromSeconds(30));
            Assert.Equal(DomainState.Running, dom.GetState());
            var live = DomainXml.Parse(dom.GetXml());
            Assert.Equal(domDef.Metadata, live.Metadata);
            Assert.Equal(HostileName, live.Title);
            Assert.Equal([overlay], live.DiskPaths);

            // Hot-unplug needs the guest kernel's ACPI handling, so wait until it is well past boot.
            await WaitUntilAsync(() => SerialText(serial).Contains("Waiting for root device", StringComparison.Ordinal),
                TimeSpan.FromSeconds(120), "the guest kernel to boot (serial log)");

            dom.AttachDevice(DomainXml.BuildNic(nic), live: true, config: true);
            Assert.Contains(nic.Mac, DomainXml.Parse(dom.GetXml()).Macs);
            Assert.Contains(nic.Mac, DomainXml.Parse(dom.GetXml(inactive: true)).Macs);

            dom.DetachDevice(DomainXml.BuildNic(nic), live: true, config: true);
            Assert.DoesNotContain(nic.Mac, DomainXml.Parse(dom.GetXml(inactive: true)).Macs);
            await WaitUntilAsync(() => !DomainXml.Parse(dom.GetXml()).Macs.Contains(nic.Mac),
                TimeSpan.FromSeconds(60), "the guest to release the NIC");

            dom.Destroy();
            await WaitForEventAsync(events, domDef.Uuid, DomainEventType.Stopped, TimeSpan.FromSeconds(30));
            Assert.Equal(DomainState.Shutoff, dom.GetState());

            dom.Undefine();
            Assert.Null(_conn.FindDomain(domDef.Uuid));
        }
        finally
        {
            RemoveDomain(_conn, domDef.Uuid);
            RemoveNetwork(_conn, netDef.Name);
        }
    }

    private static NetworkDefinition IsolatedNetwork()
    {
        // A random /24 in 10.200.0.0-10.250.255.0 so parallel runs and other sessions rarely collide.
        var prefix = $"10.{Random.Shared.Next(200, 251)}.{Random.Shared.Next(0, 256)}";
        return new NetworkDefinition(UniqueName("net-"), Guid.NewGuid(), "none", $"{prefix}.1", 24, $"{prefix}.100", $"{prefix}.150", []);
    }

    private static string SerialText(string path)
    {
        if (!File.Exists(path))
        {
            return "";
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }
}
