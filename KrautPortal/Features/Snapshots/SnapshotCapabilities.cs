using KrautPortal.Features.Hosts;
using KrautPortal.Features.Images;
using KrautPortal.Features.MachineTypes;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;

namespace KrautPortal.Features.Snapshots;

/// <summary>
/// Decides, per VM and its host, whether Kraut can snapshot it before offering to (the API answers 409 with the reason,
/// the page disables its button showing it). Kraut takes libvirt internal snapshots only; why, and which mechanism
/// works where, is the table in docs/architecture.md ("Snapshots").
/// </summary>
public sealed class SnapshotCapabilities(KindReader reader, HostRegistry hosts, SnapshotHostVersions versions)
{
    public const string Internal = "internal";

    /// <summary>libvirt refuses internal snapshots of guests with pflash (UEFI) firmware from this version on.</summary>
    public static readonly Version UefiRefusedSince = new(9, 2, 0);

    public async Task<SnapshotOffer> ForAsync(Resource<VmSpec, VmStatus> vm, CancellationToken ct)
    {
        var image = await reader.FindAsync<ImageSpec, ImageStatus>(Kinds.Images, vm.Spec.ImageId, ct);
        var machineType = await reader.FindAsync<MachineTypeSpec, MachineTypeStatus>(Kinds.MachineTypes, vm.Spec.MachineTypeId, ct);
        // VmBuilder boots aarch64 guests with UEFI whatever the image says.
        var uefi = image?.Spec.Firmware == Firmware.Uefi || machineType?.Spec.Architecture == "aarch64";
        var host = hosts.Find(vm.Status.Host);
        return Judge(new SnapshotFacts(vm.Status.Phase, vm.Status.DomainDefined, vm.DeletionRequestedAt is not null, uefi,
            vm.Status.Host, host is not null, host is null ? null : versions.LibvirtOf(host.Uri),
            vm.Status.Phase == VmPhase.Stopped && host is not null ? CheckpointsOf(host, vm.Id) : 0));
    }

    /// <summary>The domain's checkpoints (its incremental backups' change tracking); 0 when the host cannot say.</summary>
    private static int CheckpointsOf(KrautHost host, Guid vmId)
    {
        if (!host.TryConnect()) return 0;
        try
        {
            return host.Connection.CheckpointCount(vmId);
        }
        catch (Exception e) when (e is Hypervisor.LibvirtException or HostUnavailableException or ObjectDisposedException)
        {
            return 0;
        }
    }

    /// <summary>The rules, on plain facts (unit-tested without libvirt).</summary>
    public static SnapshotOffer Judge(SnapshotFacts f)
    {
        var running = f.Phase is VmPhase.Running or VmPhase.Paused;
        if (f.Deleting) return SnapshotOffer.No("The VM is being deleted.");
        if (!f.DomainDefined || f.HostUri is null)
            return SnapshotOffer.No("The VM has no libvirt domain yet; snapshots can be taken once it has been created.");
        if (f.Phase is VmPhase.Moving) return SnapshotOffer.No("The VM is being moved to another host; take snapshots once it has arrived.");
        if (f.Phase is VmPhase.Creating or VmPhase.Starting or VmPhase.Stopping or VmPhase.Rebooting or VmPhase.Pending)
            return SnapshotOffer.No($"The VM is {f.Phase.ToString().ToLowerInvariant()}; snapshots can be taken once it is running or stopped.", running, f.HostUri);
        if (f.Phase is VmPhase.Missing or VmPhase.Failed or VmPhase.Unknown or VmPhase.Crashed)
            return SnapshotOffer.No($"The VM is {f.Phase.ToString().ToLowerInvariant()}; its disk cannot be snapshotted until it is running or stopped again.", running, f.HostUri);
        if (!f.HostKnown) return SnapshotOffer.No($"The VM's host {f.HostUri} is no longer configured.", running, f.HostUri);
        if (f.Libvirt is not { } libvirt) return SnapshotOffer.No($"The VM's host {f.HostUri} does not answer; its libvirt decides what snapshots it can take.", running, f.HostUri);
        if (f.Uefi)
        {
            return SnapshotOffer.No(libvirt >= UefiRefusedSince
                ? $"The VM boots with UEFI: libvirt {libvirt} on {f.HostUri} refuses internal snapshots of UEFI guests (their NVRAM is a raw pflash file), and Kraut takes no external snapshots (libvirt before 9.9 cannot revert them)."
                : $"The VM boots with UEFI: QEMU cannot save a UEFI guest's writable raw NVRAM into an internal snapshot, and libvirt {libvirt} on {f.HostUri} cannot revert external snapshots (that needs libvirt 9.9).",
                running, f.HostUri);
        }
        if (!running && f.Checkpoints > 0)
        {
            return SnapshotOffer.No($"The VM's disk has {(f.Checkpoints == 1 ? "a checkpoint" : $"{f.Checkpoints} checkpoints")} (what its incremental backups "
                + $"build on), and libvirt {libvirt} on {f.HostUri} takes no snapshot of a stopped VM while its disk has checkpoints. "
                + "Start the VM and take the snapshot with its memory, or restore a backup over the VM (which drops its checkpoints; the next backup is then full).",
                running, f.HostUri);
        }
        return new SnapshotOffer(true, null, running, f.HostUri);
    }

    /// <summary>What a create asks beyond the offer: memory only of a running VM, and a running VM's snapshot always has it.</summary>
    public static string? MemoryProblem(SnapshotOffer offer, bool includeMemory) => (offer.Running, includeMemory) switch
    {
        (true, false) => "The VM runs, and libvirt takes a disk-only snapshot of a running VM only as an external snapshot, which Kraut does not use "
            + "(libvirt 9.0 cannot revert it). Include memory, or stop the VM for a disk-only snapshot.",
        (false, true) => "The VM is stopped: it has no memory to save. Leave includeMemory out (or false) for a disk snapshot.",
        _ => null,
    };
}

/// <summary>What <see cref="SnapshotCapabilities.Judge"/> decides on.</summary>
/// <param name="Checkpoints">The domain's libvirt checkpoints (asked only of a stopped VM).</param>
public sealed record SnapshotFacts(VmPhase Phase, bool DomainDefined, bool Deleting, bool Uefi, string? HostUri, bool HostKnown, Version? Libvirt, int Checkpoints = 0);
