using KrautPortal.Features.Hosts;
using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using KrautPortal.Hypervisor;

namespace KrautPortal.Features.VmImages;

/// <summary>
/// Whether a VM's disk can be read for an image now, and where it is: only a disk in this portal's data directory (a VM
/// on this machine's host, or the demo host standing in for it), of a stopped VM, or a snapshot inside it.
/// </summary>
public sealed class VmDiskSource(HostRegistry hosts, KrautPaths paths)
{
    public string DiskOf(Guid vmId) => paths.DiskFor(vmId);

    /// <summary>Why no image can be made from <paramref name="vm"/> now (a sentence for a 409), or null when it can.</summary>
    /// <param name="fromSnapshot">From one of its snapshots: then it may run.</param>
    public string? WhyNot(Resource<VmSpec, VmStatus> vm, bool fromSnapshot)
    {
        if (vm.System) return "It is a system VM (a network's router) that Kraut keeps; images are made from users' VMs.";
        if (vm.DeletionRequestedAt is not null || vm.Status.Phase == VmPhase.Deleting) return "The VM is being deleted.";
        if (vm.Status.Move is not null) return "The VM is moving to another host; make the image once it has arrived.";
        if (vm.Status.Host is not { } host) return "The VM has not been placed on a host yet, so it has no disk.";
        if (hosts.Find(host) is not { } known || !(known.IsLocal || known.IsDemo))
        {
            var here = hosts.Hosts.FirstOrDefault(h => h.IsLocal || h.IsDemo)?.Uri ?? "none is configured";
            return $"The VM's disk is on {host}, not on this machine's host ({here}): images are made only from disks in this portal's "
                + "data directory. Move the VM to this machine's host first.";
        }
        if (!fromSnapshot && VmMoves.IsRunning(vm))
            return $"The VM is {vm.Status.Phase.ToString().ToLowerInvariant()} and its disk changes while it runs: stop the VM first, "
                + "or make the image from one of its snapshots.";
        if (!File.Exists(DiskOf(vm.Id))) return $"The VM has no disk on this machine yet (it is {vm.Status.Phase.ToString().ToLowerInvariant()}).";
        return null;
    }

    /// <summary>Whether the VM's disk holds the internal snapshot named by <paramref name="snapshotId"/> (the snapshot record's id, D format).</summary>
    public async Task<bool> HasSnapshotAsync(Guid vmId, Guid snapshotId, CancellationToken ct) =>
        (await QemuImg.SnapshotNamesAsync(DiskOf(vmId), ct)).Contains(SnapshotName(snapshotId), StringComparer.Ordinal);

    /// <summary>The libvirt (and qcow2) name of a Kraut snapshot: its record's id, lowercase with dashes.</summary>
    public static string SnapshotName(Guid snapshotId) => snapshotId.ToString("D");
}
