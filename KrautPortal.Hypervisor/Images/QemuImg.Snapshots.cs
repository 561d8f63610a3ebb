using System.Text.Json;

namespace KrautPortal.Hypervisor;

public static partial class QemuImg
{
    /// <summary>
    /// The internal snapshots inside a qcow2 file with the size of the guest memory each saved (qemu-img info -U, format
    /// forced): libvirt's snapshot XML does not say how big a snapshot is. Works while a VM holds the file.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, long>> SnapshotStateSizesAsync(string path, CancellationToken ct)
    {
        RequireAbsolute(path);
        var json = await RunAsync(["info", "--output=json", "-U", "-f", "qcow2", path], ct);
        using var document = JsonDocument.Parse(json);
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        if (document.RootElement.TryGetProperty("snapshots", out var snapshots) && snapshots.ValueKind == JsonValueKind.Array)
        {
            foreach (var snapshot in snapshots.EnumerateArray())
            {
                if (snapshot.TryGetProperty("name", out var name) && name.GetString() is { } n
                    && snapshot.TryGetProperty("vm-state-size", out var size) && size.TryGetInt64(out var bytes))
                    sizes[n] = bytes;
            }
        }
        return sizes;
    }
}
