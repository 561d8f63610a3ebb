using KrautPortal.Features.Auth;
using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms.CloudInit;
using KrautPortal.Hypervisor;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Vms;

/// <summary>Turns a VM record into what libvirt needs: a host, a disk overlay and a domain definition.</summary>
public sealed class VmBuilder(HostRegistry hosts, KrautPaths paths, KrautInstance instance, ImageStorage images, NetworkRealizer networks)
{
    public static string DomainName(Guid vmId) => $"kraut-{vmId:D}";

    public async Task<KrautHost> PlaceAsync(Resource<VmSpec, VmStatus> vm, IServiceProvider services, CancellationToken ct)
    {
        var store = services.GetRequiredService<ResourceStore>();
        var machineType = await LoadAsync<MachineTypeSpec, MachineTypeStatus>(store, Kinds.MachineTypes, vm.Spec.MachineTypeId, ct);
        var db = services.GetRequiredService<KrautDbContext>();
        var others = await db.Resources.AsNoTracking().Where(r => r.Kind == Kinds.Vms.Name && r.Id != vm.Id)
            .Select(r => new { r.Spec, r.Status }).ToListAsync(ct);
        var typePlacement = (await db.Resources.AsNoTracking().Where(r => r.Kind == Kinds.MachineTypes.Name).Select(r => new { r.Id, r.Spec }).ToListAsync(ct))
            .ToDictionary(r => r.Id, r => KrautJson.Deserialize<MachineTypeSpec>(r.Spec).Placement);
        var placements = others
            .Select(o => (Status: KrautJson.Deserialize<VmStatus>(o.Status), Spec: KrautJson.Deserialize<VmSpec>(o.Spec)))
            .Where(o => o.Status.Host is not null)
            .Select(o => (o.Status.Host!, typePlacement.GetValueOrDefault(o.Spec.MachineTypeId)))
            .ToList();
        return hosts.Place(machineType.Spec.Architecture, machineType.Spec.Placement, placements);
    }

    public async Task<VmBuild> BuildAsync(Resource<VmSpec, VmStatus> vm, KrautHost host, IServiceProvider services, CancellationToken ct)
    {
        var store = services.GetRequiredService<ResourceStore>();
        var machineType = await LoadAsync<MachineTypeSpec, MachineTypeStatus>(store, Kinds.MachineTypes, vm.Spec.MachineTypeId, ct);
        var arch = machineType.Spec.Architecture;
        var domainType = await hosts.DomainTypeForAsync(host, arch);
        var guest = host.GuestFor(arch) ?? throw new VmBuildException(host.WhyCannotRun(arch) ?? $"{host.Uri} cannot run {arch}.");

        var image = await LoadAsync<ImageSpec, ImageStatus>(store, Kinds.Images, vm.Spec.ImageId, ct);

        var nics = new List<NicDefinition>();
        var db = services.GetRequiredService<KrautDbContext>();
        foreach (var networkId in vm.Spec.Nics.Select(n => n.NetworkId).Distinct())
        {
            // Before the domain exists or a NIC is plugged in: the guest's first DHCP request must find its reservation.
            var network = await LoadAsync<NetworkSpec, NetworkStatus>(store, Kinds.Networks, networkId, ct);
            try
            {
                await networks.EnsureAsync(host, network, db, ct);
            }
            catch (NetworkRangeTakenException e)
            {
                throw new VmBuildException($"Network '{network.Name}' cannot start. {e.Message}");
            }
        }
        EnsureGuestFilters(host);
        var seedNics = new List<SeedNic>();
        foreach (var nic in vm.Spec.Nics)
        {
            var network = await LoadAsync<NetworkSpec, NetworkStatus>(store, Kinds.Networks, nic.NetworkId, ct);
            nics.Add(new NicDefinition(nic.Mac!, NetworkNames.LibvirtName(instance, nic.NetworkId), Filter: GuestNicFilter.For(vm.Id, nic, network.Spec)));
            seedNics.Add(await SeedNicAsync(store, nic, network.Spec, ct));
        }
        // Rewritten whenever the spec moved on in a way the guest sees; a running guest reads it at its next boot.
        var seedIso = paths.SeedIsoFor(vm.Id);
        var seedRewritten = await SeedIsoWriter.WriteAsync(seedIso, SeedDocuments.For(vm.Id, vm.Name, vm.Spec, seedNics), ct);

        return new VmBuild(new DomainDefinition(
            Uuid: vm.Id,
            Name: DomainName(vm.Id),
            Title: vm.Name,
            DomainType: domainType,
            Arch: arch,
            Emulator: guest.EmulatorFor(domainType),
            Machine: arch == "aarch64" ? "virt" : null,
            Vcpus: vm.Spec.Vcpus,
            MemoryMiB: vm.Spec.MemoryMiB,
            Disks: Disks(vm.Id, image, arch, seedIso),
            Nics: nics,
            SerialLogPath: paths.ConsoleFor(vm.Id),
            Metadata: new KrautDomainMetadata(vm.Id, instance.Id, vm.Name, vm.Version),
            Firmware: image.Spec.Firmware == Firmware.Uefi ? "efi" : "bios"), seedRewritten, seedIso);
    }

    /// <summary>
    /// The filter each NIC (by MAC, lower case) should have now: a network's gateway can move to another VM's NIC at any
    /// time, so the reconciler compares these with the domain's and changes what differs, live.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, NicFilter>> NicFiltersAsync(Resource<VmSpec, VmStatus> vm, IServiceProvider services, CancellationToken ct)
    {
        var store = services.GetRequiredService<ResourceStore>();
        var filters = new Dictionary<string, NicFilter>(StringComparer.Ordinal);
        foreach (var nic in vm.Spec.Nics.Where(n => n.Mac is not null))
        {
            if (await store.FindAsync(Kinds.Networks.Name, nic.NetworkId, Actor.System, ct) is not { } row) continue;
            filters[nic.Mac!.ToLowerInvariant()] = GuestNicFilter.For(vm.Id, nic, Resource<NetworkSpec, NetworkStatus>.FromRow(row).Spec);
        }
        return filters;
    }

    /// <summary>
    /// Every NIC references Kraut's network filters, so they must exist before a domain is defined or a NIC plugged in.
    /// libvirt's test driver has no nwfilter (and no real traffic to filter); it keeps the references without them.
    /// </summary>
    public static void EnsureGuestFilters(KrautHost host)
    {
        if (host.Connection.IsTestDriver) return;
        try
        {
            GuestFilters.Ensure(host.Connection);
        }
        catch (LibvirtException e) when (e.IsUnsupported)
        {
            throw new VmBuildException($"{host.Uri} has no network filter driver (libvirt's nwfilter), which Kraut needs to keep guests from "
                + "spoofing addresses on shared networks; install and start it with libvirtd.");
        }
    }

    /// <summary>
    /// The VM's own disk; for an installer ISO the ISO itself as a read-only CD-ROM (SATA on x86 because every
    /// installer and firmware reads AHCI, and Windows has no virtio driver on its CD; aarch64's virt machine has no
    /// SATA, so SCSI there); last the cloud-init seed CD on virtio-scsi, which every cloud image's kernel has
    /// (Debian's cloud kernels have no AHCI). The installer comes first so the firmware boots it, not the seed.
    /// </summary>
    private List<DiskDefinition> Disks(Guid vmId, Resource<ImageSpec, ImageStatus> image, string arch, string seedIso)
    {
        List<DiskDefinition> disks = [new DiskDefinition(paths.DiskFor(vmId), "qcow2", "vda", "virtio")];
        if (image.Status.Format == ImageFormat.Iso)
            disks.Add(new DiskDefinition(images.PathFor(image.Id, ImageFormat.Iso), "raw", "sda", arch == "aarch64" ? "scsi" : "sata", IsCdrom: true));
        disks.Add(new DiskDefinition(seedIso, "raw", disks.Count == 1 ? "sda" : "sdb", "scsi", IsCdrom: true));
        return disks;
    }

    /// <summary>
    /// Creates the VM's disk: a qcow2 overlay on a disk image (grown to DiskGiB when that is larger), or a blank
    /// qcow2 of DiskGiB for an installer ISO. Written under a temporary name and renamed, so a crash leaves either
    /// a whole disk or a temporary file that is collected, never a half one in use.
    /// </summary>
    public async Task EnsureDiskAsync(Resource<VmSpec, VmStatus> vm, IServiceProvider services, CancellationToken ct)
    {
        var overlay = paths.DiskFor(vm.Id);
        if (File.Exists(overlay)) return;
        var store = services.GetRequiredService<ResourceStore>();
        var image = await LoadAsync<ImageSpec, ImageStatus>(store, Kinds.Images, vm.Spec.ImageId, ct);
        if (image.Status.Phase != ImagePhase.Ready || image.Status.Format is not { } format)
            throw new VmBuildException($"Image '{image.Name}' is not ready (it is {image.Status.Phase}).");
        var content = images.PathFor(image.Id, format);
        if (!File.Exists(content)) throw new VmBuildException($"The content of image '{image.Name}' is missing from {paths.Images}.");

        var temporary = overlay + ".tmp";
        File.Delete(temporary);
        var requested = (long)vm.Spec.DiskGiB << 30;
        if (format == ImageFormat.Iso)
        {
            var size = requested > 0 ? requested : (long)VmRules.DefaultInstallDiskGiB << 30;
            await QemuImg.CreateAsync(temporary, "qcow2", size, ct);
        }
        else
        {
            var imageSize = image.Status.VirtualSizeBytes ?? (await QemuImg.InfoAsync(content, format.ToString().ToLowerInvariant(), ct)).VirtualSizeBytes;
            await QemuImg.CreateOverlayAsync(temporary, content, format.ToString().ToLowerInvariant(), requested > imageSize ? requested : null, ct);
        }
        File.Move(temporary, overlay);
    }

    public void DeleteFiles(Guid vmId)
    {
        var seed = paths.SeedIsoFor(vmId);
        foreach (var file in new[] { paths.DiskFor(vmId), paths.DiskFor(vmId) + ".tmp", paths.ConsoleFor(vmId), seed, seed + ".tmp", seed + ".sha256", seed + ".sha256.tmp" })
            File.Delete(file);
        if (Directory.Exists(seed + ".d.tmp")) Directory.Delete(seed + ".d.tmp", recursive: true);
    }

    /// <summary>The routers a NIC's static addresses use: the host's first address, a fixed one, or a gateway VM's NIC.</summary>
    private static async Task<SeedNic> SeedNicAsync(ResourceStore store, VmNic nic, NetworkSpec network, CancellationToken ct)
    {
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
                var router = await store.FindAsync(Kinds.Vms.Name, routerId, Actor.System, ct) is { } row ? Resource<VmSpec, VmStatus>.FromRow(row) : null;
                var routerNic = router?.Spec.Nics.FirstOrDefault(n => n.Id == gateway.NicId);
                // A gateway VM that went away leaves the NIC without a default route rather than without a seed.
                if (routerNic is not null && routerNic.Mac != nic.Mac) (v4, v6) = (routerNic.Ipv4Address, routerNic.Ipv6Address);
                break;
        }
        return new SeedNic(nic, network, v4, v6);
    }

    private static async Task<Resource<TSpec, TStatus>> LoadAsync<TSpec, TStatus>(ResourceStore store, KindInfo kind, Guid id, CancellationToken ct)
    {
        var row = await store.FindAsync(kind.Name, id, Actor.System, ct)
            ?? throw new VmBuildException($"The {kind.Singular} {id} this VM refers to no longer exists.");
        return Resource<TSpec, TStatus>.FromRow(row);
    }
}

/// <summary>A VM's domain definition, and whether building it wrote a new cloud-init seed.</summary>
public sealed record VmBuild(DomainDefinition Definition, bool SeedRewritten, string SeedPath)
{
    public DiskDefinition? SeedCdrom => Definition.Disks.FirstOrDefault(d => d.IsCdrom && d.Path == SeedPath);
}

/// <summary>Something about the VM's ingredients that only a change by the user can fix.</summary>
public sealed class VmBuildException(string message) : Exception(message);
