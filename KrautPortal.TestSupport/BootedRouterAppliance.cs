using KrautPortal.Hypervisor;
using KrautPortal.Hypervisor.Routers;

namespace KrautPortal.TestSupport;

/// <summary>
/// One router appliance booted straight through the Hypervisor binding (no portal): an overlay on the image, a
/// serial log and the agent channel, all in a directory of its own that disposing removes with the domain.
/// </summary>
public sealed class BootedRouterAppliance : IAsyncDisposable
{
    private readonly DirectoryInfo _dir;
    private readonly LibvirtConnection _libvirt;

    private BootedRouterAppliance(DirectoryInfo dir, LibvirtConnection libvirt, Guid uuid)
    {
        _dir = dir;
        _libvirt = libvirt;
        Uuid = uuid;
    }

    public Guid Uuid { get; }

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
        var appliance = new BootedRouterAppliance(dir, libvirt, uuid);
        try
        {
            var overlay = Path.Combine(dir.FullName, "disk.qcow2");
            await QemuImg.CreateOverlayAsync(overlay, image, "qcow2", null, CancellationToken.None);
            var caps = libvirt.GetCapabilities();
            var guest = caps.FindGuest("x86_64") ?? throw new InvalidOperationException("libvirt offers no x86_64 guest");
            var accel = await AccelerationProbe.DetectAsync(caps, "x86_64", RouterAppliance.KernelPath, CancellationToken.None);
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
                [],
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

    public ValueTask DisposeAsync()
    {
        try
        {
            using var domain = _libvirt.FindDomain(Uuid);
            if (domain is not null)
            {
                if (domain.IsActive) domain.Destroy();
                domain.Undefine();
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
