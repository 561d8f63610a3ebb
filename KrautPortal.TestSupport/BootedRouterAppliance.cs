using KrautPortal.Hypervisor;
using KrautPortal.Hypervisor.Routers;

namespace KrautPortal.TestSupport;

/// <summary>
/// One router appliance booted straight through the Hypervisor binding (no portal): an overlay on the image, a
/// serial log and the agent channel, all in a directory of its own, and one NIC (eth0, DHCP) on an isolated network
/// of its own, so the host reaches it (SSH). Disposing removes the domain, the network and the directory.
/// </summary>
public sealed class BootedRouterAppliance : IAsyncDisposable
{
    private readonly DirectoryInfo _dir;
    private readonly LibvirtConnection _libvirt;

    private BootedRouterAppliance(DirectoryInfo dir, LibvirtConnection libvirt, Guid uuid, string networkName)
    {
        DomainType = "qemu";
        _dir = dir;
        _libvirt = libvirt;
        Uuid = uuid;
        NetworkName = networkName;
    }

    public Guid Uuid { get; }

    /// <summary>kvm where KVM really works, else qemu (TCG).</summary>
    public string DomainType { get; private set; }

    /// <summary>The isolated libvirt network eth0 is on (the host has .1 on its bridge).</summary>
    public string NetworkName { get; }

    /// <summary>The host end of the agent channel (QEMU listens on it).</summary>
    public string SocketPath => Path.Combine(_dir.FullName, "agent.sock");

    public string SerialLogPath => Path.Combine(_dir.FullName, "serial.log");

    public string Console => GuestConsole.Read(SerialLogPath);

    /// <summary>Defines and starts the domain; returns at once, while the appliance still boots.</summary>
    public static async Task<BootedRouterAppliance> StartAsync(string uri, string namePrefix)
    {
        var image = RouterAppliance.ImagePath;
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        // Short: the socket path must fit a sockaddr_un (107 bytes).
        var dir = System.IO.Directory.CreateTempSubdirectory("kraut-rt-");
        var libvirt = LibvirtConnection.Open(uri);
        var uuid = Guid.NewGuid();
        var networkName = $"{namePrefix}-{uuid:N}"[..Math.Min(namePrefix.Length + 9, 40)];
        var appliance = new BootedRouterAppliance(dir, libvirt, uuid, networkName);
        try
        {
            // A random /24 in 10.200.0.0-10.250.255.0, so parallel runs and other sessions rarely collide.
            var prefix = $"10.{Random.Shared.Next(200, 251)}.{Random.Shared.Next(0, 256)}";
            using (var network = libvirt.DefineNetwork(NetworkXml.Build(
                new NetworkDefinition(networkName, Guid.NewGuid(), "none", $"{prefix}.1", 24, $"{prefix}.100", $"{prefix}.150", []))))
            {
                network.Start();
            }

            var overlay = Path.Combine(dir.FullName, "disk.qcow2");
            await QemuImg.CreateOverlayAsync(overlay, image, "qcow2", null, CancellationToken.None);
            var caps = libvirt.GetCapabilities();
            var guest = caps.FindGuest("x86_64") ?? throw new InvalidOperationException("libvirt offers no x86_64 guest");
            var accel = await AccelerationProbe.DetectAsync(caps, "x86_64", RouterAppliance.KernelPath, CancellationToken.None);
            appliance.DomainType = accel.DomainType;
            var definition = new DomainDefinition(
                uuid,
                $"{namePrefix}-{uuid:N}",
                "router appliance test",
                accel.DomainType,
                "x86_64",
                guest.EmulatorFor(accel.DomainType),
                null,
                1,
                256,
                [new DiskDefinition(overlay, "qcow2", "vda", "virtio")],
                [new NicDefinition($"52:54:00:{Random.Shared.Next(256):x2}:{Random.Shared.Next(256):x2}:{Random.Shared.Next(256):x2}", networkName)],
                appliance.SerialLogPath,
                new KrautDomainMetadata(uuid, "test-" + uuid.ToString("N")[..8], "router", 1),
                AgentChannel: RouterAgentClient.Channel(appliance.SocketPath));
            using var domain = libvirt.DefineDomain(DomainXml.Build(definition));
            domain.Start();
            return appliance;
        }
        catch
        {
            await appliance.DisposeAsync();
            throw;
        }
    }

    public Task WaitForAgentAsync(TimeSpan timeout) =>
        Eventually.WaitUntilAsync(() => Console.Contains(RouterAppliance.ReadyMarker, StringComparison.Ordinal), timeout,
            $"{RouterAppliance.ReadyMarker} on the appliance's console");

    /// <summary>The address eth0 got by DHCP, from the appliance's console.</summary>
    public async Task<string> WaitForAddressAsync(TimeSpan timeout) => (await GuestConsole.WaitForReadyAsync(SerialLogPath, timeout)).Ip;

    public ValueTask DisposeAsync()
    {
        try
        {
            using (var domain = _libvirt.FindDomain(Uuid))
            {
                if (domain is not null)
                {
                    if (domain.IsActive) domain.Destroy();
                    domain.Undefine();
                }
            }
            using var network = _libvirt.FindNetwork(NetworkName);
            if (network is not null)
            {
                if (network.IsActive) network.Destroy();
                if (network.IsPersistent) network.Undefine();
            }
        }
        finally
        {
            _libvirt.Dispose();
            _dir.Delete(recursive: true);
        }
        return ValueTask.CompletedTask;
    }
}
