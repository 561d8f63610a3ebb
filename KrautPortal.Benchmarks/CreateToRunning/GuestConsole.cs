using System.Diagnostics;

namespace KrautPortal.Benchmarks.CreateToRunning;

/// <summary>The guest's serial console file, where the test guest prints KRAUT-GUEST-READY on its first DHCP lease.</summary>
public static class GuestConsole
{
    public const string ReadyMarker = "KRAUT-GUEST-READY";

    /// <summary>Milliseconds since <paramref name="t0"/> (a Stopwatch timestamp) when the marker was first seen, or null after the timeout.</summary>
    public static async Task<double?> WaitForAsync(string path, long t0, TimeSpan timeout)
    {
        while (Stopwatch.GetElapsedTime(t0) < timeout)
        {
            if (File.Exists(path))
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream);
                if ((await reader.ReadToEndAsync()).Contains(ReadyMarker, StringComparison.Ordinal)) return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            await Task.Delay(20);
        }
        return null;
    }
}
