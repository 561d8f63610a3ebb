namespace KrautPortal.TestSupport;

/// <summary>
/// The router appliance built by <c>scripts/build-guest-image.sh --router</c>, next to <see cref="TestGuest"/> in
/// KRAUT_TEST_GUEST_DIR (the test script builds both; a run without it builds it here, cached by its inputs).
/// </summary>
public static class RouterAppliance
{
    private static readonly Lazy<string> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Directory => Built.Value;

    public static string ImagePath => Path.Combine(Directory, "kraut-router.qcow2");

    /// <summary>The appliance's kernel, which the KVM probe boots to see whether KVM really works here.</summary>
    public static string KernelPath => Path.Combine(Directory, "kraut-router.vmlinuz");

    /// <summary>What the appliance prints on its serial console once its agent listens on the channel.</summary>
    public const string ReadyMarker = "KRAUT-ROUTER-AGENT-READY";

    private static string Build()
    {
        var dir = Environment.GetEnvironmentVariable("KRAUT_TEST_GUEST_DIR") ?? "/var/tmp/kraut-test-guest";
        Tool.Run(RepoPaths.Script("build-guest-image.sh"), "--router", dir);
        return dir;
    }
}
