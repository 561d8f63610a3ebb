using System.Globalization;
using System.Text.Json;

namespace KrautPortal.Hypervisor;

public static partial class QemuImg
{
    /// <summary>
    /// qemu-img convert -p -f qcow2 [-U] [-l snapshot.name=&lt;name&gt;] -O &lt;fmt&gt;: a VM's disk (a qcow2 overlay over its
    /// image) read through its whole backing chain into one standalone file, as it is now or as internal snapshot
    /// <paramref name="snapshotName"/> holds it. <paramref name="shared"/> (-U) reads without taking the image's lock, for a
    /// snapshot of a running VM (its clusters do not change while QEMU writes); without it a disk QEMU holds is refused,
    /// which is what keeps a copy of a stopped VM's disk consistent. Both formats forced; the overlay's backing format is
    /// the one Kraut wrote into it (-F) when it made the overlay.
    /// </summary>
    public static async Task FlattenAsync(string overlay, string? snapshotName, bool shared, string target, string targetFormat,
        ToolLimits limits, IProgress<double>? progress, CancellationToken ct)
    {
        RequireAbsolute(overlay);
        RequireAbsolute(target);
        RequireFormat(targetFormat);
        List<string> args = ["convert", "-p", "-f", "qcow2"];
        if (shared) args.Add("-U");
        if (snapshotName is not null)
        {
            // A comma would start another option of -l: the names Kraut gives are GUIDs, anything else is a caller's bug.
            if (snapshotName.Length == 0 || snapshotName.Contains(',', StringComparison.Ordinal))
                throw new ArgumentException($"Not a snapshot name: '{snapshotName}'.", nameof(snapshotName));
            args.AddRange(["-l", "snapshot.name=" + snapshotName]);
        }
        args.AddRange(["-O", targetFormat, overlay, target]);
        await RunAsync(args, limits, line =>
        {
            var match = ProgressPattern().Match(line);
            if (match.Success && progress is not null) progress.Report(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
        }, ct);
    }

    /// <summary>
    /// The names of the internal snapshots in a qcow2 (qemu-img info --output=json -U -f qcow2: what qemu-img snapshot -l
    /// lists, as JSON rather than a table). -U: the disk of a running VM is read too.
    /// </summary>
    public static async Task<IReadOnlyList<string>> SnapshotNamesAsync(string path, CancellationToken ct)
    {
        RequireAbsolute(path);
        var json = await RunAsync(["info", "--output=json", "-U", "-f", "qcow2", path], ct);
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("snapshots", out var list) || list.ValueKind != JsonValueKind.Array) return [];
        return list.EnumerateArray()
            .Select(s => s.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null)
            .OfType<string>().ToList();
    }
}
