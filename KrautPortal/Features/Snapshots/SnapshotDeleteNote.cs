using KrautPortal.Features.Store;
using KrautPortal.Features.Vms.Pages;

namespace KrautPortal.Features.Snapshots;

/// <summary>A VM's snapshots live inside its disk and libvirt's domain: the reconciler removes their records once the VM is gone.</summary>
public sealed class SnapshotDeleteNote(KindReader reader) : IVmDeleteNote
{
    public async Task<VmDeleteNote?> DescribeAsync(Guid vmId, CancellationToken ct)
    {
        var count = (await SnapshotRules.OfVmAsync(reader, vmId, ct)).Count;
        return count == 0 ? null : new VmDeleteNote(count == 1 ? "Its snapshot goes with it." : $"Its {count} snapshots go with it.");
    }
}
