using KrautPortal.Features.Store;
using KrautPortal.Features.Vms;
using Microsoft.EntityFrameworkCore;

namespace KrautPortal.Features.Networks;

/// <summary>One VM NIC on a network, with what the network's DHCP needs to know about its VM.</summary>
public sealed record NetworkMember(Guid VmId, string VmName, string? Hostname, bool VmDeleting, VmNic Nic)
{
    /// <summary>Every NIC of every VM on <paramref name="networkId"/>, read fresh from the database.</summary>
    public static async Task<IReadOnlyList<NetworkMember>> LoadAsync(KrautDbContext db, Guid networkId, CancellationToken ct)
    {
        // NIC lists live inside the VM specs (JSON), so the filter runs here; networks hold tens of VMs, not millions.
        var rows = await db.Resources.AsNoTracking().Where(r => r.Kind == Kinds.Vms.Name)
            .Select(r => new { r.Id, r.Name, r.Spec, r.DeletionRequestedAt }).ToListAsync(ct);
        return rows
            .Select(r => (Row: r, Spec: KrautJson.Deserialize<VmSpec>(r.Spec)))
            .SelectMany(v => v.Spec.Nics.Where(n => n.NetworkId == networkId)
                .Select(n => new NetworkMember(v.Row.Id, v.Row.Name, v.Spec.Hostname, v.Row.DeletionRequestedAt is not null, n)))
            .OrderBy(m => m.VmId).ThenBy(m => m.Nic.Id)
            .ToList();
    }
}
