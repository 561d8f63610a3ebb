using KrautPortal.Features.Store;

namespace KrautPortal.Features.Reconciling;

/// <summary>
/// This installation's id, stored in its database and written into every libvirt object it creates,
/// so two Kraut instances on one host never take each other's domains for orphans.
/// </summary>
public sealed class KrautInstance
{
    private string? _id;

    public string Id => _id ?? throw new InvalidOperationException("The instance id is loaded at start-up, before anything uses it.");

    /// <summary>Short form for libvirt names, which must stay short (bridge names have 15 characters).</summary>
    public string ShortId => Id[..8];

    public async Task LoadAsync(KrautDbContext db, CancellationToken ct)
    {
        var row = await db.Settings.FindAsync([SettingKey], ct);
        if (row is null)
        {
            row = new SettingRow { Key = SettingKey, Value = Guid.NewGuid().ToString("N") };
            db.Settings.Add(row);
            await db.SaveChangesAsync(ct);
        }
        _id = row.Value;
    }

    private const string SettingKey = "instance-id";
}
