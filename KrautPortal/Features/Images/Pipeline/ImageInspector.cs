using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Images.Pipeline;

/// <summary>What inspection found out about content it accepts.</summary>
/// <param name="QemuFormat">The format qemu-img is told to read it as (null for an ISO, which qemu-img never reads).</param>
public sealed record Inspection(SourceFormat Format, string? QemuFormat, long VirtualSizeBytes);

/// <summary>
/// Decides whether untrusted content may become an image, in layers that each stand alone: the format from magic
/// bytes (never from a name); header fields read here, before qemu-img runs at all; qemu-img info with the format
/// explicit and under time, CPU and memory limits; its report checked again for other files; qemu-img check for
/// qcow2. Throws <see cref="ImageRefusedException"/> with a reason a person understands.
/// </summary>
public sealed class ImageInspector(ImagesOptions options)
{
    public async Task<Inspection> InspectAsync(string path, CancellationToken ct)
    {
        var file = new FileInfo(path);
        if (file.LinkTarget is not null) throw new ImageRefusedException("The content is a link, not a file.");
        if (file.Length == 0) throw new ImageRefusedException("The file is empty.");

        ContentKind kind;
        await using (var content = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None))
        {
            var head = new byte[(int)Math.Min(ContentSniffer.HeadBytes, file.Length)];
            await content.ReadExactlyAsync(head, ct);
            kind = ContentSniffer.Detect(head);
            if (ContentSniffer.RefusalFor(kind) is { } refusal) throw new ImageRefusedException(refusal);
            if (kind == ContentKind.Qcow2) HeaderChecks.CheckQcow2(content);
            if (kind == ContentKind.VmdkSparse) HeaderChecks.CheckVmdkSparse(content);
        }

        var format = ContentSniffer.SourceFormatOf(kind) ?? throw new InvalidOperationException($"No source format for {kind}.");
        // Installation media stay as they are: a VM reads them as a raw CD-ROM, nothing interprets a header.
        if (format == SourceFormat.Iso) return new Inspection(format, null, file.Length);

        var qemuFormat = format.ToString().ToLowerInvariant();
        var info = await RunAsync(() => QemuImg.InspectAsync(path, qemuFormat, InfoLimits, ct), qemuFormat, path);
        CheckReport(info, qemuFormat, path);
        if (format == SourceFormat.Qcow2)
        {
            var check = await RunAsync(() => QemuImg.CheckAsync(path, qemuFormat, CheckLimits, ct), qemuFormat, path);
            if (!check.IsConsistent)
            {
                throw new ImageRefusedException(
                    $"qemu-img check found {check.Corruptions} corruption(s) and {check.CheckErrors} error(s) in this qcow2 image's metadata, " +
                    "so it would not read back correctly. Repair it where it came from (qemu-img check -r all) and upload it again.");
            }
        }

        return new Inspection(format, qemuFormat, info.VirtualSizeBytes);
    }

    /// <summary>
    /// CPU time as long as the wall clock, but at least a second: RLIMIT_CPU 0 kills at once, and a timeout should
    /// be reported as one.
    /// </summary>
    private ToolLimits InfoLimits => new(TimeSpan.FromSeconds(options.InfoTimeoutSeconds), Math.Max(1, options.InfoTimeoutSeconds), options.InfoMemoryBytes);

    /// <summary>check reads all of a qcow2's metadata, which for a large genuine image takes longer than info.</summary>
    private ToolLimits CheckLimits => InfoLimits with { WallClock = TimeSpan.FromSeconds(4 * options.InfoTimeoutSeconds), CpuSeconds = Math.Max(1, 4 * options.InfoTimeoutSeconds) };

    /// <summary>qemu-img's own report, checked again: the header checks above know the common cases, this sees what qemu sees.</summary>
    private void CheckReport(QemuImageInfo info, string format, string path)
    {
        if (info.Format != format) throw new ImageRefusedException($"qemu-img read the content as {info.Format}, not as {format}.");
        if (info.HasBacking)
            throw new ImageRefusedException($"This {format} image names a backing file ('{HeaderChecks.Printable(info.BackingFilename!)}'), which would be read from this host. Upload a standalone image instead.");
        if (info.HasDataFile)
            throw new ImageRefusedException($"This {format} image keeps its data in an external file ('{HeaderChecks.Printable(info.DataFile!)}'), which would be read from this host. Upload a standalone image instead.");
        if (info.ExtentFilenames?.FirstOrDefault(e => e != path) is { } other)
            throw new ImageRefusedException($"This VMDK names another file for its data ('{HeaderChecks.Printable(other)}'), which would be read from this host. Upload the disk as one self-contained file.");
        if (info.Encrypted) throw new ImageRefusedException($"This {format} image is encrypted; Kraut cannot read it without the key. Upload an unencrypted image.");
        if (info.VirtualSizeBytes <= 0) throw new ImageRefusedException("The image declares a disk of 0 bytes.");
        if (info.VirtualSizeBytes > options.MaxVirtualSizeBytes)
            throw new ImageRefusedException($"The image claims a {Sizes.Describe(info.VirtualSizeBytes)} disk; the limit is {Sizes.Describe(options.MaxVirtualSizeBytes)}.");
    }

    private async Task<T> RunAsync<T>(Func<Task<T>> run, string format, string path)
    {
        try
        {
            return await run();
        }
        catch (QemuImgException e) when (e.TimedOut)
        {
            throw new ImageRefusedException(
                $"Reading the {format} header took longer than {options.InfoTimeoutSeconds} s, so it was stopped; a well-formed image takes " +
                "milliseconds. The file may be damaged, or crafted to make tools hang.");
        }
        catch (QemuImgException e) when (e.Signal is { } signal)
        {
            throw new ImageRefusedException(
                $"Reading the {format} header needed more memory or CPU time than allowed (qemu-img was stopped by signal {signal}). " +
                "The file may be damaged, or crafted to exhaust the host.");
        }
        catch (QemuImgException e)
        {
            throw new ImageRefusedException($"The content looks like a {format} image but cannot be read: {QemuReason(e.StandardError, path)}");
        }
    }

    /// <summary>qemu-img's reason without its prefix and without the host path, which means nothing to the uploader.</summary>
    internal static string QemuReason(string stderr, string path)
    {
        var line = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        line = line.Replace("qemu-img: ", "", StringComparison.Ordinal).Replace($"Could not open '{path}': ", "", StringComparison.Ordinal)
            .Replace(path, "the image", StringComparison.Ordinal).Trim();
        if (line.Length == 0) return "qemu-img gave no reason.";
        return line.EndsWith('.') ? line : line + ".";
    }
}
