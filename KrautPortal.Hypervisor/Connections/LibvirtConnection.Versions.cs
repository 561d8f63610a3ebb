using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

// Which libvirt and QEMU a host runs: what some features (snapshots) may offer depends on them.
public sealed partial class LibvirtConnection
{
    /// <summary>The libvirt of the daemon this connection talks to (virConnectGetLibVersion).</summary>
    public Version GetLibvirtVersion()
    {
        ThrowIfDisposed();
        LibvirtError.Check(LibvirtNative.virConnectGetLibVersion(_handle, out var encoded), "virConnectGetLibVersion");
        return Decode(encoded);
    }

    /// <summary>The hypervisor's version (QEMU's for qemu:///…; the test driver answers a fixed one).</summary>
    public Version GetHypervisorVersion()
    {
        ThrowIfDisposed();
        LibvirtError.Check(LibvirtNative.virConnectGetVersion(_handle, out var encoded), "virConnectGetVersion");
        return Decode(encoded);
    }

    /// <summary>libvirt encodes versions as major * 1,000,000 + minor * 1,000 + release.</summary>
    private static Version Decode(ulong encoded) =>
        new((int)(encoded / 1_000_000), (int)(encoded / 1_000 % 1_000), (int)(encoded % 1_000));
}
