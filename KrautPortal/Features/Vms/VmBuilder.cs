using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.Networks;
using KrautPortal.Features.Reconciling;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms.CloudInit;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Vms;

/// <summary>
/// Turns a <see cref="VmPlan"/> into what libvirt needs: the VM's networks running with its reservations, its cloud-init
/// seed, its disk overlay and its domain definition. Reads nothing but the plan (see <see cref="VmPlanner"/> for the
/// whole path of a create: rules → plan → this builder → the reconciler's define and start).
/// </summary>
public sealed class VmBuilder(KrautPaths paths, KrautInstance instance, NetworkRealizer networks, VmVolumes volumes, IVmRestoreSource? restores = null)
{
    public static string DomainName(Guid vmId) => $"kraut-{vmId:D}";

    /// <summary>
    /// Everything a new domain needs before it is defined. The disk overlay does not depend on the rest, so it is made
    /// while the networks are realised and the seed is written; a failure of the rest is reported first, as when they ran in turn.
    /// </summary>
    public async Task<VmBuild> PrepareNewAsync(VmPlan plan, KrautDbContext db, CancellationToken ct)
    {
        // No domain holds it now: a socket left by a crash or a by-hand undefine goes before QEMU binds a new one.
        if (plan.AgentChannel is { } channel) File.Delete(channel.SocketPath);
        if (VncSocket(plan, paths) is { } vnc) File.Delete(vnc);
        var disk = Task.Run(async () =>
        {
            using (VmTelemetry.StartPhase(VmTelemetry.Overlay, plan.Id)) await EnsureDiskAsync(plan, ct);
        }, ct);
        VmBuild build;
        try
        {
            using (VmTelemetry.StartPhase(VmTelemetry.Build, plan.Id)) build = await BuildAsync(plan, db, ct);
        }
        catch
        {
            // Its own outcome does not matter now; waited for so that nothing of this pass runs on after it.
            await Task.WhenAny(disk);
            _ = disk.Exception;
            throw;
        }
        await disk;
        return build;
    }

    /// <summary>
    /// The domain definition, after making sure what it refers to exists: its networks run with this VM's DHCP
    /// reservations (the guest's first request must find its own), the network filters are defined, and the seed is current.
    /// </summary>
    public async Task<VmBuild> BuildAsync(VmPlan plan, KrautDbContext db, CancellationToken ct)
    {
        var vm = plan.Vm;
        var host = plan.Host!;
        var arch = plan.RequireMachineType().Architecture;
        var guest = plan.Guest ?? throw new VmBuildException(host.WhyCannotRun(arch) ?? $"{host.Uri} cannot run {arch}.");
        var domainType = plan.DomainType!;
        var image = plan.RequireImage();
        var nics = plan.RequireNics();

        foreach (var network in plan.Networks)
        {
            try
            {
                await networks.EnsureAsync(host, network.Network, db, ct, forVm: true);
            }
            catch (NetworkRangeTakenException e)
            {
                throw new VmBuildException($"Network '{network.Network.Name}' cannot start. {e.Message}");
            }
        }
        EnsureGuestFilters(host);
        // Rewritten whenever the spec moved on in a way the guest sees; a running guest reads it at its next boot.
        var seed = plan.Seed();
        var seedIso = paths.SeedIsoFor(vm.Id);
        var seedRewritten = await SeedIsoWriter.WriteAsync(seedIso, seed, ct);
        var files = new HostFiles(paths.DiskFor(vm.Id), seedIso, paths.ConsoleFor(vm.Id), image.ContentPath);
        if (VmVolumes.AreUsedOn(host))
        {
            // Only libvirt reaches another host's files: everything the domain names there is a volume of Kraut's pool.
            if (plan.AgentChannel is not null)
                throw new VmBuildException($"A network's router talks to the portal over a local socket, so it runs only on the portal's own machine, not on {host.Uri}.");
            (var seedPath, seedRewritten) = await volumes.EnsureSeedAsync(host, vm.Id, seedIso, seed.Hash, ct);
            files = new HostFiles(volumes.PathOn(host, VmVolumes.DiskVolume(vm.Id)), seedPath, volumes.PathOn(host, VmVolumes.ConsoleVolume(vm.Id)),
                image.Format == ImageFormat.Iso ? volumes.ImagePathOn(host, image) : null);
        }

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
            Disks: Disks(files, image, arch),
            Nics: nics.Select(n => new NicDefinition(n.Nic.Mac!, n.Network!.LibvirtName, Filter: n.Filter)).ToList(),
            SerialLogPath: files.ConsoleLog,
            Metadata: new KrautDomainMetadata(vm.Id, instance.Id, vm.Name, vm.Version),
            Firmware: image.Firmware == Firmware.Uefi ? "efi" : "bios",
            AgentChannel: plan.AgentChannel,
            VncSocketPath: VncSocket(plan, paths),
            // Every guest of a user may run qemu-ga; a router speaks only Kraut's own agent.
            GuestAgent: plan.AgentChannel is null), seedRewritten, files.Seed);
    }

    /// <summary>
    /// Where the VM's VNC server listens (a Unix socket only the portal relays), or null for a system VM: a router's
    /// screen is nobody's to use, and its serial console stays read-only. A VM on another host has none either: QEMU
    /// would listen on a socket of that host, which the portal cannot reach (libvirt hands out a VNC connection only locally).
    /// </summary>
    public static string? VncSocket(VmPlan plan, KrautPaths paths) =>
        plan.IsRouter || plan.Vm.System || plan.Host is { } host && VmVolumes.AreUsedOn(host) ? null : paths.VncSocketFor(plan.Id);

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
    private static List<DiskDefinition> Disks(HostFiles files, PlannedImage image, string arch)
    {
        List<DiskDefinition> disks = [new DiskDefinition(files.Disk, "qcow2", "vda", "virtio")];
        if (image.Format == ImageFormat.Iso)
            disks.Add(new DiskDefinition(files.InstallerIso!, "raw", "sda", arch == "aarch64" ? "scsi" : "sata", IsCdrom: true));
        disks.Add(new DiskDefinition(files.Seed, "raw", disks.Count == 1 ? "sda" : "sdb", "scsi", IsCdrom: true));
        return disks;
    }

    /// <summary>The paths, on the VM's host, of what its domain names: this machine's data directory, or volumes of the host's pool.</summary>
    private sealed record HostFiles(string Disk, string Seed, string ConsoleLog, string? InstallerIso);

    /// <summary>
    /// Creates the VM's disk: a qcow2 overlay on a disk image (grown to DiskGiB when that is larger), or a blank
    /// qcow2 of DiskGiB for an installer ISO. Written under a temporary name and renamed, so a crash leaves either
    /// a whole disk or a temporary file that is collected, never a half one in use.
    /// </summary>
    public async Task EnsureDiskAsync(VmPlan plan, CancellationToken ct)
    {
        if (plan.Spec.RestoreFrom is { } backupId && !File.Exists(paths.DiskFor(plan.Id)))
        {
            await RestoreDiskAsync(plan, backupId, ct);
            return;
        }
        if (plan.Host is { } host && VmVolumes.AreUsedOn(host))
        {
            await volumes.EnsureDiskAsync(host, plan, ct);
            return;
        }
        var overlay = paths.DiskFor(plan.Id);
        if (File.Exists(overlay)) return;
        var image = plan.RequireImage();
        if (image.Phase != ImagePhase.Ready || image.Format is not { } format)
            throw new VmBuildException($"Image '{image.Name}' is not ready (it is {image.Phase}).");
        var content = image.ContentPath!;
        if (!File.Exists(content)) throw new VmBuildException($"The content of image '{image.Name}' is missing from {paths.Images}.");

        var temporary = overlay + ".tmp";
        File.Delete(temporary);
        var requested = (long)plan.Spec.DiskGiB << 30;
        if (format == ImageFormat.Iso)
        {
            var size = requested > 0 ? requested : (long)VmRules.DefaultInstallDiskGiB << 30;
            await QemuImg.CreateAsync(temporary, "qcow2", size, ct);
        }
        else
        {
            var imageSize = image.VirtualSizeBytes ?? (await QemuImg.InfoAsync(content, format.ToString().ToLowerInvariant(), ct)).VirtualSizeBytes;
            await QemuImg.CreateOverlayAsync(temporary, content, format.ToString().ToLowerInvariant(), requested > imageSize ? requested : null, ct);
        }
        File.Move(temporary, overlay);
    }

    /// <summary>The disk made from a backup (its chain flattened), under a temporary name and renamed as the overlay is.</summary>
    private async Task RestoreDiskAsync(VmPlan plan, Guid backupId, CancellationToken ct)
    {
        // Backups are files of this machine; another host's pool is reached only through libvirt.
        if (plan.Host is { } host && VmVolumes.AreUsedOn(host))
            throw new VmBuildException($"A VM restored from a backup is built on the portal's own machine, where its backups are, not on {host.Uri}.");
        if (restores is null) throw new VmBuildException("Backups are not available on this portal.");
        var disk = paths.DiskFor(plan.Id);
        var temporary = disk + ".tmp";
        File.Delete(temporary);
        await restores.WriteDiskAsync(backupId, temporary, ct);
        File.Move(temporary, disk);
    }

    public void DeleteFiles(Guid vmId)
    {
        var seed = paths.SeedIsoFor(vmId);
        // virtlogd rotates a console log past its max_size (2 MiB by default) into .0, .1, .2.
        var console = paths.ConsoleFor(vmId);
        foreach (var file in new[] { paths.DiskFor(vmId), paths.DiskFor(vmId) + ".tmp", console, console + ".0", console + ".1", console + ".2",
                     seed, seed + ".tmp", seed + ".sha256", seed + ".sha256.tmp", paths.RouterAgentSocketFor(vmId), paths.VncSocketFor(vmId) })
            File.Delete(file);
        if (Directory.Exists(seed + ".d.tmp")) Directory.Delete(seed + ".d.tmp", recursive: true);
    }
}

/// <summary>A VM's domain definition, and whether building it wrote a new cloud-init seed.</summary>
public sealed record VmBuild(DomainDefinition Definition, bool SeedRewritten, string SeedPath)
{
    public DiskDefinition? SeedCdrom => Definition.Disks.FirstOrDefault(d => d.IsCdrom && d.Path == SeedPath);
}

/// <summary>Something about the VM's ingredients that only a change by the user can fix.</summary>
public sealed class VmBuildException(string message) : Exception(message);
