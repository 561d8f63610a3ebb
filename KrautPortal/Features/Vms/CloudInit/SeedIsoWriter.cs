using System.Diagnostics;
using System.Text;

namespace KrautPortal.Features.Vms.CloudInit;

/// <summary>
/// Writes a seed as an ISO 9660 image labelled <c>cidata</c> (Joliet + Rock Ridge, so the names stay
/// meta-data, user-data, network-config) with xorriso, run with an argument list, never through a shell.
/// </summary>
public static class SeedIsoWriter
{
    public const string VolumeLabel = "cidata";

    /// <summary>
    /// Writes the image under a temporary name and renames it over <paramref name="isoPath"/>, so a crash leaves the
    /// old seed or the new one, never half of one. Then records the content hash beside it; a missing or different
    /// hash means "write again", so a crash between the two steps only costs a rewrite.
    /// </summary>
    public static async Task WriteAsync(string isoPath, SeedDocuments seed, CancellationToken ct)
    {
        var hashPath = isoPath + ".sha256";
        var hash = seed.Hash;
        if (File.Exists(isoPath) && File.Exists(hashPath) && (await File.ReadAllTextAsync(hashPath, ct)).Trim() == hash) return;

        var staging = isoPath + ".d.tmp";
        var temporary = isoPath + ".tmp";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            foreach (var (name, content) in seed.Files)
                await File.WriteAllTextAsync(Path.Combine(staging, name), content, new UTF8Encoding(false), ct);
            File.Delete(temporary);
            await RunXorrisoAsync(["-as", "mkisofs", "-quiet", "-o", temporary, "-V", VolumeLabel, "-J", "-r", staging], ct);
            File.Move(temporary, isoPath, overwrite: true);
            await File.WriteAllTextAsync(hashPath + ".tmp", hash + "\n", ct);
            File.Move(hashPath + ".tmp", hashPath, overwrite: true);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
            File.Delete(temporary);
        }
    }

    private static async Task RunXorrisoAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo("xorriso", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new SeedException("xorriso could not be started.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SeedException($"xorriso, which writes the VMs' cloud-init seeds, is not installed (apt-get install xorriso; scripts/setup-host.sh does it): {e.Message}");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0) throw new SeedException($"xorriso failed ({process.ExitCode}) writing the cloud-init seed: {(await stderr).Trim()}");
        }
    }
}

/// <summary>The host could not write a seed (a missing tool, a full disk): retried, as the host may be fixed.</summary>
public sealed class SeedException(string message) : Exception(message);
