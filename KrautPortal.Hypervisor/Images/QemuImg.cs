using System.Globalization;
using System.Text.Json;

namespace KrautPortal.Hypervisor;

/// <summary>Wraps the qemu-img tool. Formats are always explicit: probing lets a guest-written header pick the format.</summary>
public static class QemuImg
{
    private const string Tool = "qemu-img";

    /// <summary>qemu-img create -f qcow2 -F &lt;fmt&gt; -b &lt;absolute backing&gt; &lt;overlay&gt; [size].</summary>
    /// <remarks>The backing path is made absolute so the overlay works from any directory.</remarks>
    public static async Task CreateOverlayAsync(string overlayPath, string backingPath, string backingFormat, long? virtualSizeBytes, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(overlayPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(backingPath);
        RequireFormat(backingFormat);

        List<string> args = ["create", "-q", "-f", "qcow2", "-F", backingFormat, "-b", Path.GetFullPath(backingPath), overlayPath];
        if (virtualSizeBytes is { } size)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size, nameof(virtualSizeBytes));
            args.Add(size.ToString(CultureInfo.InvariantCulture));
        }

        await RunAsync(args, ct);
    }

    /// <summary>qemu-img create -f &lt;fmt&gt; &lt;path&gt; &lt;size&gt;: a new empty image.</summary>
    public static async Task CreateAsync(string path, string format, long virtualSizeBytes, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        RequireFormat(format);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(virtualSizeBytes);
        await RunAsync(["create", "-q", "-f", format, path, virtualSizeBytes.ToString(CultureInfo.InvariantCulture)], ct);
    }

    /// <summary>qemu-img info --output=json -f &lt;fmt&gt; -U: also works on images a running VM holds locked.</summary>
    /// <remarks>Also accepts the import formats (vmdk, vdi, vhdx, vpc) so uploads can be inspected before conversion.</remarks>
    public static async Task<QemuImageInfo> InfoAsync(string path, string format, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (format is not ("qcow2" or "raw" or "vmdk" or "vdi" or "vhdx" or "vpc"))
        {
            throw new ArgumentException($"Unsupported image format '{format}'.", nameof(format));
        }

        var json = await RunAsync(["info", "--output=json", "-U", "-f", format, path], ct);
        return ParseInfo(json);
    }

    internal static QemuImageInfo ParseInfo(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;

        string? Str(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        long Num(string name) =>
            root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

        string? dataFile = null;
        if (root.TryGetProperty("format-specific", out var specific)
            && specific.TryGetProperty("data", out var data))
        {
            dataFile = Str(data, "data-file");
        }

        return new QemuImageInfo(
            Str(root, "format") ?? throw new FormatException("qemu-img info output has no format"),
            Num("virtual-size"),
            Num("actual-size"),
            Str(root, "backing-filename"),
            Str(root, "full-backing-filename"),
            Str(root, "backing-filename-format"),
            dataFile);
    }

    private static void RequireFormat(string format)
    {
        if (format is not ("qcow2" or "raw"))
        {
            throw new ArgumentException($"Image format must be qcow2 or raw, not '{format}'.", nameof(format));
        }
    }

    private static async Task<string> RunAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var result = await ProcessRunner.RunAsync(Tool, args, ct);
        if (result.ExitCode != 0)
        {
            throw new QemuImgException($"{Tool} {string.Join(' ', args)}", result.ExitCode, result.StandardError);
        }

        return result.StandardOutput;
    }
}
