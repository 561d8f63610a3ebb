using System.Diagnostics;

namespace KrautPortal.Tests.Support;

/// <summary>
/// The small real guest built by scripts/build-guest-image.sh. The test script builds it once into
/// KRAUT_TEST_GUEST_DIR; a test run without it builds it here (a few seconds, cached by its inputs).
/// </summary>
public static class TestGuest
{
    private static readonly Lazy<string> Directory = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string ImagePath => Path.Combine(Directory.Value, "kraut-guest.qcow2");

    public static string KernelPath => Path.Combine(Directory.Value, "kraut-guest.vmlinuz");

    public const string ReadyMarker = "KRAUT-GUEST-READY";

    private static string Build()
    {
        var dir = Environment.GetEnvironmentVariable("KRAUT_TEST_GUEST_DIR") ?? "/var/tmp/kraut-test-guest";
        var start = new ProcessStartInfo(RepoPaths.Script("build-guest-image.sh"), [dir]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start build-guest-image.sh");
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"build-guest-image.sh failed ({process.ExitCode}): {stderr.Result}");
        return dir;
    }
}
