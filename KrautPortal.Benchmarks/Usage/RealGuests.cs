using KrautPortal.Hypervisor;

namespace KrautPortal.Benchmarks.Usage;

/// <summary>
/// A few test guests of the benchmark's own on qemu:///system, so the gathering comparison also parses real counters
/// (CPU, balloon, vCPUs, a disk) when nothing else runs there. Removed on dispose.
/// </summary>
public sealed class RealGuests : IAsyncDisposable
{
    private readonly LibvirtConnection _libvirt;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kraut-bench-guests-");
    private readonly List<Guid> _ids = [];

    private RealGuests(LibvirtConnection libvirt) => _libvirt = libvirt;

    public static async Task<RealGuests> StartAsync(LibvirtConnection libvirt, int count)
    {
        var guests = new RealGuests(libvirt);
        try
        {
            var caps = libvirt.GetCapabilities();
            var guest = caps.FindGuest("x86_64") ?? throw new InvalidOperationException("libvirt offers no x86_64 guest");
            var accel = await AccelerationProbe.DetectAsync(caps, "x86_64", TestGuest.KernelPath, CancellationToken.None);
            for (var i = 0; i < count; i++)
            {
                var id = Guid.NewGuid();
                var overlay = Path.Combine(guests._dir.FullName, $"{id:N}.qcow2");
                await QemuImg.CreateOverlayAsync(overlay, TestGuest.ImagePath, "qcow2", null, CancellationToken.None);
                var definition = new DomainDefinition(id, $"kraut-bench-usage-{id:N}", "usage benchmark guest", accel.DomainType, "x86_64",
                    guest.EmulatorFor(accel.DomainType), null, 1, 256, [new DiskDefinition(overlay, "qcow2", "vda", "virtio")], [],
                    Path.Combine(guests._dir.FullName, $"{id:N}.log"), new KrautDomainMetadata(id, "bench-usage", "bench", 1));
                using var domain = libvirt.DefineDomain(DomainXml.Build(definition));
                guests._ids.Add(id);
                domain.Start();
            }

            return guests;
        }
        catch
        {
            await guests.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        foreach (var id in _ids)
        {
            using var domain = _libvirt.FindDomain(id);
            if (domain is null) continue;
            if (domain.IsActive) domain.Destroy();
            domain.Undefine();
        }

        _dir.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }
}
