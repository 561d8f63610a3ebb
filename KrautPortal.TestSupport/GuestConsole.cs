using System.Diagnostics;
using System.Text.RegularExpressions;

namespace KrautPortal.TestSupport;

/// <summary>One <c>KRAUT-GUEST-READY iface=… ip=… mac=…</c> line of the test guest's console.</summary>
public sealed record ReadyLine(string Iface, string Ip, string Mac);

/// <summary>Reads what the test guest printed on its serial console (the file libvirt writes).</summary>
public static partial class GuestConsole
{
    public static string Read(string path)
    {
        if (!File.Exists(path)) return "";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("\r", "", StringComparison.Ordinal);
    }

    /// <summary>The <c>KRAUT-GUEST-READY iface=… ip=… mac=…</c> lines, in order.</summary>
    public static IReadOnlyList<ReadyLine> ReadyLines(string path) =>
        ReadyPattern().Matches(Read(path)).Select(m => new ReadyLine(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value)).ToList();

    public static Task<ReadyLine> WaitForReadyAsync(string path, TimeSpan timeout, int count = 1) =>
        Eventually.WaitForAsync(() => Task.FromResult(ReadyLines(path) is { } lines && lines.Count >= count ? lines[count - 1] : null),
            timeout, $"ready line #{count} on the guest's console");

    /// <summary>
    /// Milliseconds since <paramref name="t0"/> (a Stopwatch timestamp) when the ready marker was first seen, or null after
    /// the timeout. Polls every 20 ms: a benchmark measures with it.
    /// </summary>
    public static async Task<double?> WaitForAsync(string path, long t0, TimeSpan timeout)
    {
        while (Stopwatch.GetElapsedTime(t0) < timeout)
        {
            if (Read(path).Contains(TestGuest.ReadyMarker, StringComparison.Ordinal)) return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            await Task.Delay(20);
        }
        return null;
    }

    [GeneratedRegex(@"KRAUT-GUEST-READY iface=(\S+) ip=(\S+) mac=(\S+)")]
    private static partial Regex ReadyPattern();
}
