using KrautPortal.Hypervisor;

namespace KrautPortal.Tests.Hypervisor;

/// <summary>
/// One test guest booted on the real libvirtd for a whole test class, the way the portal defines VMs for consoles:
/// a pty serial port logged to a file and VNC on a Unix socket. No NIC: the consoles need none.
/// </summary>
public sealed class ConsoleGuestFixture : IAsyncLifetime
{
    public static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);

    // Short: the VNC socket path must fit a sockaddr_un (107 bytes).
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kraut-con-");
    private LibvirtConnection? _libvirt;

    public Guid Uuid { get; } = Guid.NewGuid();

    public string SerialLogPath => Path.Combine(_dir.FullName, "serial.log");

    public string VncSocketPath => Path.Combine(_dir.FullName, "vnc.sock");

    public string DomainXmlUsed { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Tool.PackagedFile("/usr/bin/qemu-system-x86_64", "qemu-system-x86");
        var image = TestGuest.ImagePath;
        _libvirt = LibvirtConnection.Open(TestHosts.System);
        var overlay = Path.Combine(_dir.FullName, "disk.qcow2");
        await QemuImg.CreateOverlayAsync(overlay, image, "qcow2", null, CancellationToken.None);
        var caps = _libvirt.GetCapabilities();
        var guest = caps.FindGuest("x86_64") ?? throw new InvalidOperationException("libvirt offers no x86_64 guest");
        var accel = await AccelerationProbe.DetectAsync(caps, "x86_64", TestGuest.KernelPath, CancellationToken.None);
        var definition = new DomainDefinition(
            Uuid,
            $"kraut-test-console-{Uuid:N}",
            "console test guest",
            accel.DomainType,
            "x86_64",
            guest.EmulatorFor(accel.DomainType),
            null,
            1,
            256,
            [new DiskDefinition(overlay, "qcow2", "vda", "virtio")],
            [],
            SerialLogPath,
            new KrautDomainMetadata(Uuid, "test-" + Uuid.ToString("N")[..8], "console", 1),
            VncSocketPath: VncSocketPath);
        DomainXmlUsed = DomainXml.Build(definition);
        using var domain = _libvirt.DefineDomain(DomainXmlUsed);
        domain.Start();
        await Eventually.WaitUntilAsync(() => GuestConsole.Read(SerialLogPath).Contains("KRAUT-GUEST-BOOTED", StringComparison.Ordinal), Boot,
            "KRAUT-GUEST-BOOTED in the serial log");
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_libvirt is not null)
            {
                using var domain = _libvirt.FindDomain(Uuid);
                if (domain is not null)
                {
                    if (domain.IsActive) domain.Destroy();
                    domain.Undefine();
                }
            }
        }
        finally
        {
            _libvirt?.Dispose();
            _dir.Delete(recursive: true);
        }

        await Task.CompletedTask;
    }
}
