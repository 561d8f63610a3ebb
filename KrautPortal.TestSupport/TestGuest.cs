namespace KrautPortal.TestSupport;

/// <summary>
/// The small real guest built by scripts/build-guest-image.sh. The test script builds it once into
/// KRAUT_TEST_GUEST_DIR; a run without it builds it here (a few seconds, cached by its inputs).
/// </summary>
public static class TestGuest
{
    private static readonly Lazy<string> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The directory the guest is in, built first if need be.</summary>
    public static string Directory => Built.Value;

    public static string ImagePath => Path.Combine(Directory, "kraut-guest.qcow2");

    public static string KernelPath => Path.Combine(Directory, "kraut-guest.vmlinuz");

    /// <summary>The aarch64 test guest (<c>build-guest-image.sh --arch arm64</c>), built on first use next to the x86_64 one.</summary>
    public static string Arm64ImagePath => Arm64Built.Value;

    private static readonly Lazy<string> Arm64Built = new(() =>
    {
        var dir = Environment.GetEnvironmentVariable("KRAUT_TEST_GUEST_DIR") ?? "/var/tmp/kraut-test-guest";
        Tool.Run(RepoPaths.Script("build-guest-image.sh"), "--arch", "arm64", dir);
        return Path.Combine(dir, "kraut-guest-arm64.qcow2");
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>What the guest prints on its serial console on its first DHCP lease.</summary>
    public const string ReadyMarker = "KRAUT-GUEST-READY";

    private static string Build()
    {
        var dir = Environment.GetEnvironmentVariable("KRAUT_TEST_GUEST_DIR") ?? "/var/tmp/kraut-test-guest";
        Tool.Run(RepoPaths.Script("build-guest-image.sh"), dir);
        return dir;
    }
}
