using System.Globalization;
using KrautPortal.Features.MachineTypes;

namespace KrautPortal.Features.Images.Pages;

/// <summary>How uploads and image phases read on the page: percent, speed, time left, phase words, names from file names.</summary>
public static class Transfers
{
    /// <summary>Whole percent, rounded down, so 100 % appears only when every byte is there.</summary>
    public static int Percent(long done, long total) =>
        total <= 0 ? 0 : (int)Math.Clamp(done * 100 / total, 0, 100);

    /// <summary>In the same binary units as every size in the portal ("48.2 MiB/s").</summary>
    public static string Speed(double bytesPerSecond) => Sizes.Describe((long)Math.Max(0, bytesPerSecond)) + "/s";

    /// <summary>"8 s left", "3 min 20 s left", "1 h 5 min left"; null while nothing moves (no honest guess).</summary>
    public static string? TimeLeft(long remainingBytes, double bytesPerSecond)
    {
        if (remainingBytes <= 0) return null;
        if (bytesPerSecond < 1) return null;
        var seconds = (long)Math.Ceiling(remainingBytes / bytesPerSecond);
        return seconds switch
        {
            < 60 => $"{seconds} s left",
            // Seconds while they still matter; beyond ten minutes the smoothed speed wobbles more than that.
            < 600 => $"{seconds / 60} min {seconds % 60} s left",
            < 3600 => $"{(seconds + 30) / 60} min left",
            < 360_000 => $"{seconds / 3600} h {seconds % 3600 / 60} min left",
            _ => "more than 100 h left",
        };
    }

    /// <summary>"312 MiB of 690 MiB", or just what arrived when the total is unknown.</summary>
    public static string Amount(long done, long? total) =>
        total is > 0 ? $"{Sizes.Describe(done)} of {Sizes.Describe(total)}" : Sizes.Describe(done);

    /// <summary>The phase in words, with progress where there is some: "converting 45 %".</summary>
    public static string PhaseText(ImageStatus status)
    {
        var words = status.Phase switch
        {
            ImagePhase.AwaitingContent => "awaiting content",
            var p => p.ToString().ToLowerInvariant(),
        };
        return ProgressOf(status) is { } percent ? $"{words} {percent.ToString("0", CultureInfo.InvariantCulture)} %" : words;
    }

    /// <summary>0–100 for a phase that moves and can tell (received bytes count when the server gives no percent).</summary>
    public static double? ProgressOf(ImageStatus status)
    {
        if (status.Phase is not (ImagePhase.Uploading or ImagePhase.Downloading or ImagePhase.Copying or ImagePhase.Checking or ImagePhase.Converting)) return null;
        if (status.Progress is { } p) return Math.Clamp(p, 0, 100);
        if (status is { BytesReceived: { } received, BytesExpected: > 0 and var expected }) return Percent(received, expected);
        return null;
    }

    /// <summary>A sentence for what the server is doing with the image now: its own words when it gives some.</summary>
    public static string Explain(ImageStatus status, ImageFormat storageFormat) => status.Phase switch
    {
        ImagePhase.AwaitingContent => "Waiting for its content: upload a file or import from a URL.",
        ImagePhase.Uploading => status.Message ?? "Receiving the upload…",
        ImagePhase.Downloading => status.Message ?? (status.SourceUrl is { } url ? $"Downloading {url}…" : "Downloading…"),
        ImagePhase.Copying => status.Message ?? "Copying the VM's disk…",
        ImagePhase.Checking => status.Message ?? "Checking the content (format, size, backing files)…",
        ImagePhase.Converting => status.Message
            ?? $"Converting {status.SourceFormat?.ToString().ToLowerInvariant() ?? "it"} to {storageFormat.ToString().ToLowerInvariant()}…",
        // The wizard offers disks only; an ISO is installation media.
        ImagePhase.Ready when status.Format == ImageFormat.Iso => "Ready as installation media (ISO). The create-VM wizard offers disk images only.",
        ImagePhase.Ready => "Ready: pick it when you create a VM.",
        ImagePhase.Failed => status.Message ?? "Failed, without a reason given.",
        _ => status.Phase.ToString(),
    };

    private static readonly string[] ImageExtensions = [".qcow2", ".qcow", ".img", ".raw", ".vmdk", ".vhdx", ".vhd", ".vdi", ".iso"];

    /// <summary>An image name from a file name: without its disk-image extension, within the name length limit.</summary>
    public static string NameFromFile(string fileName)
    {
        var name = Path.GetFileName(fileName.Replace('\\', '/'));
        var extension = ImageExtensions.FirstOrDefault(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));
        if (extension is not null && name.Length > extension.Length) name = name[..^extension.Length];
        name = new string(name.Where(c => !char.IsControl(c)).ToArray()).Trim();
        if (name.Length > Store.ResourceNames.MaxLength) name = name[..Store.ResourceNames.MaxLength].TrimEnd();
        // Cutting may split a surrogate pair; ResourceNames would refuse the lone half.
        if (name.Length > 0 && char.IsHighSurrogate(name[^1])) name = name[..^1];
        return name.Length == 0 ? "image" : name;
    }

    /// <summary>Cloud images say their architecture in the file name; anything else is taken for x86_64.</summary>
    public static string ArchitectureFromFile(string fileName) =>
        fileName.Contains("aarch64", StringComparison.OrdinalIgnoreCase) || fileName.Contains("arm64", StringComparison.OrdinalIgnoreCase)
            ? Architectures.Aarch64
            : Architectures.X86_64;
}
