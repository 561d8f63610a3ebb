namespace KrautPortal.TestSupport;

/// <summary>The libvirt hosts tests and benchmarks run a portal on.</summary>
public static class TestHosts
{
    /// <summary>libvirt's in-memory test driver: VMs are records, nothing boots.</summary>
    public const string TestDriver = "test:///default";

    /// <summary>The machine's own libvirtd: real guests.</summary>
    public const string System = "qemu:///system";
}
