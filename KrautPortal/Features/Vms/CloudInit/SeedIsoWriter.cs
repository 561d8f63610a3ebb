using System.Text;
using KrautPortal.Hypervisor;

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
    /// Returns whether it wrote a new image.
    /// </summary>
    public static async Task<bool> WriteAsync(string isoPath, SeedDocuments seed, CancellationToken ct)
    {
        var hashPath = isoPath + ".sha256";
        var hash = seed.Hash;
        if (File.Exists(isoPath) && File.Exists(hashPath) && (await File.ReadAllTextAsync(hashPath, ct)).Trim() == hash) return false;

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
            return true;
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
            File.Delete(temporary);
        }
    }

    /// <summary>A seed is a few kilobytes: seconds at most, however loaded the host; a hung xorriso must not hold a reconcile.</summary>
    private static readonly ToolLimits XorrisoLimits = new(TimeSpan.FromMinutes(2), null, null, 64 << 10);

    private static async Task RunXorrisoAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        ProcessRunner.Result result;
        try
        {
            result = await ProcessRunner.RunAsync("xorriso", arguments, XorrisoLimits, null, ct);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SeedException($"xorriso, which writes the VMs' cloud-init seeds, is not installed (apt-get install xorriso; scripts/setup-host.sh does it): {e.Message}");
        }
        if (result.TimedOut) throw new SeedException($"xorriso did not finish writing the cloud-init seed within {XorrisoLimits.WallClock?.TotalSeconds:0} s.");
        if (result.ExitCode != 0) throw new SeedException($"xorriso failed ({result.ExitCode}) writing the cloud-init seed: {result.StandardError.Trim()}");
    }
}

/// <summary>The host could not write a seed (a missing tool, a full disk): retried, as the host may be fixed.</summary>
public sealed class SeedException(string message) : Exception(message);
