namespace KrautPortal.TestSupport;

/// <summary>The libvirt hosts tests and benchmarks run a portal on.</summary>
public static class TestHosts
{
    /// <summary>libvirt's in-memory test driver: VMs are records, nothing boots.</summary>
    public const string TestDriver = "test:///default";

    /// <summary>The machine's own libvirtd: real guests.</summary>
    public const string System = "qemu:///system";

    /// <summary>
    /// Overcommit for portals of tests that are not about capacity: the scheduler refuses a VM that does not fit, and
    /// libvirt's test driver reports 3 GiB, so a shared test portal would be full after a few VMs. Capacity and scheduling
    /// tests set their own ratios, which win over these.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> RoomyCapacity = new Dictionary<string, string>
    {
        ["Capacity:CpuOvercommit"] = "64",
        ["Capacity:MemoryOvercommit"] = "64",
        ["Capacity:DiskOvercommit"] = "64",
    };
}
