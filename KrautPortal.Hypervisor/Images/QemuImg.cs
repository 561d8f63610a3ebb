using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace KrautPortal.Hypervisor;

/// <summary>Wraps the qemu-img tool. Formats are always explicit: probing lets a guest-written header pick the format.</summary>
public static partial class QemuImg
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
        RequireImportFormat(format);
        var json = await RunAsync(["info", "--output=json", "-U", "-f", format, path], ct);
        return ParseInfo(json);
    }

    /// <summary>The first <paramref name="bytes"/> of the disk a guest sees (qemu-img dd), e.g. to look for a boot sector inside a qcow2.</summary>
    public static async Task<byte[]> ReadHeadAsync(string path, string format, int bytes, CancellationToken ct)
    {
        RequireAbsolute(path);
        RequireImportFormat(format);
        var output = Path.Combine(Path.GetTempPath(), $"kraut-head-{Guid.NewGuid():N}.raw");
        try
        {
            await RunAsync(["dd", "-f", format, "-O", "raw", "bs=512", $"count={(bytes + 511) / 512}", $"if={path}", $"of={output}"], ct);
            return await File.ReadAllBytesAsync(output, ct);
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>
    /// qemu-img info over content nobody vouches for: the format is explicit (never probed), and the process runs under
    /// <paramref name="limits"/>. No <c>-U</c>: the file is Kraut's own and nobody writes it, so taking the ordinary
    /// shared lock costs nothing; should it ever fail, something is writing the file and it must not be read.
    /// </summary>
    /// <exception cref="QemuImgException">qemu-img could not read it, or a limit stopped it (see TimedOut, Signal).</exception>
    public static async Task<QemuImageInfo> InspectAsync(string path, string format, ToolLimits limits, CancellationToken ct)
    {
        RequireAbsolute(path);
        RequireImportFormat(format);
        var json = await RunAsync(["info", "--output=json", "-f", format, path], limits, null, ct);
        return ParseInfo(json);
    }

    /// <summary>qemu-img check (read-only, never repairs) under limits. Formats without a check report Supported = false.</summary>
    public static async Task<QemuImageCheck> CheckAsync(string path, string format, ToolLimits limits, CancellationToken ct)
    {
        RequireAbsolute(path);
        RequireImportFormat(format);
        string[] args = ["check", "--output=json", "-f", format, path];
        var result = await ProcessRunner.RunAsync(Tool, args, limits, null, ct);

        // 0: clean, 2: corruptions, 3: only leaks, 1: the check itself hit errors; 63: the format has no check.
        if (result.ExitCode == 63) return new QemuImageCheck(false, 0, 0, 0);
        if (result.TimedOut || result.OutputTruncated || result.ExitCode is not (0 or 1 or 2 or 3) || string.IsNullOrWhiteSpace(result.StandardOutput))
        {
            throw new QemuImgException($"{Tool} {string.Join(' ', args)}", result.ExitCode, Errors(result), result.TimedOut);
        }

        using var doc = JsonDocument.Parse(result.StandardOutput);
        long Num(string name) =>
            doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
        return new QemuImageCheck(true, Num("corruptions"), Num("leaks"), Num("check-errors") + (result.ExitCode == 1 ? 1 : 0));
    }

    /// <summary>
    /// qemu-img convert -p from a source nobody vouches for into a new file Kraut owns, reporting 0–100 to
    /// <paramref name="progress"/>. The source is named as <c>json:{"driver": fmt, "backing": null, "file": …}</c>:
    /// the format is as explicit as with -f, and a backing file that got past every check is still never opened.
    /// </summary>
    public static async Task ConvertAsync(string source, string sourceFormat, string target, string targetFormat,
        ToolLimits limits, IProgress<double>? progress, CancellationToken ct)
    {
        RequireAbsolute(source);
        RequireAbsolute(target);
        RequireImportFormat(sourceFormat);
        RequireFormat(targetFormat);
        var sourceSpec = "json:" + JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["driver"] = sourceFormat,
            ["backing"] = null,
            ["file"] = new Dictionary<string, string> { ["driver"] = "file", ["filename"] = source },
        });
        await RunAsync(["convert", "-p", "-O", targetFormat, sourceSpec, target], limits, line =>
        {
            var match = ProgressPattern().Match(line);
            if (match.Success && progress is not null)
            {
                progress.Report(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        }, ct);
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
        List<string>? extents = null;
        if (root.TryGetProperty("format-specific", out var specific)
            && specific.TryGetProperty("data", out var data))
        {
            dataFile = Str(data, "data-file");
            if (data.TryGetProperty("extents", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                extents = list.EnumerateArray().Select(e => Str(e, "filename") ?? "").ToList();
            }
        }

        return new QemuImageInfo(
            Str(root, "format") ?? throw new FormatException("qemu-img info output has no format"),
            Num("virtual-size"),
            Num("actual-size"),
            Str(root, "backing-filename"),
            Str(root, "full-backing-filename"),
            Str(root, "backing-filename-format"),
            dataFile,
            extents,
            root.TryGetProperty("encrypted", out var encrypted) && encrypted.ValueKind == JsonValueKind.True);
    }

    private static void RequireFormat(string format)
    {
        if (format is not ("qcow2" or "raw"))
        {
            throw new ArgumentException($"Image format must be qcow2 or raw, not '{format}'.", nameof(format));
        }
    }

    private static void RequireImportFormat(string format)
    {
        if (format is not ("qcow2" or "raw" or "vmdk" or "vdi" or "vhdx" or "vpc"))
        {
            throw new ArgumentException($"Unsupported image format '{format}'.", nameof(format));
        }
    }

    /// <summary>A relative name could be read as a protocol ("nbd:…", "json:…"); an absolute path never is.</summary>
    private static void RequireAbsolute(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!Path.IsPathFullyQualified(path))
        {
            throw new ArgumentException($"An absolute path is required, not '{path}'.", nameof(path));
        }
    }

    private static Task<string> RunAsync(IReadOnlyList<string> args, CancellationToken ct) => RunAsync(args, ToolLimits.None, null, ct);

    private static async Task<string> RunAsync(IReadOnlyList<string> args, ToolLimits limits, Action<string>? onOutput, CancellationToken ct)
    {
        var result = await ProcessRunner.RunAsync(Tool, args, limits, onOutput, ct);
        // Truncated JSON would not parse; truncated progress would not matter, but a tool that floods is not trusted.
        if (result.ExitCode != 0 || result.TimedOut || result.OutputTruncated)
        {
            throw new QemuImgException($"{Tool} {string.Join(' ', args)}", result.ExitCode, Errors(result), result.TimedOut);
        }

        return result.StandardOutput;
    }

    private static string Errors(ProcessRunner.Result result) =>
        result.OutputTruncated ? "it printed more than its output limit. " + result.StandardError : result.StandardError;

    [GeneratedRegex(@"\((\d+(?:\.\d+)?)/100%\)")]
    private static partial Regex ProgressPattern();
}
