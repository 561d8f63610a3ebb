using System.Runtime.InteropServices;
using System.Xml.Linq;
using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

/// <summary>One libvirt domain (a VM definition and, when running, its QEMU process).</summary>
public sealed partial class LibvirtDomain : IDisposable
{
    // virDomainXMLFlags, virDomainModificationImpact, virDomainMetadataType, virDomainUndefineFlagsValues.
    private const uint XmlInactive = 1 << 1;
    private const uint AffectLive = 1 << 0;
    private const uint AffectConfig = 1 << 1;
    private const int MetadataElement = 2;
    private const uint UndefineManagedSave = 1 << 0;
    private const uint UndefineSnapshotsMetadata = 1 << 1;
    private const uint UndefineNvram = 1 << 2;
    private const uint UndefineCheckpointsMetadata = 1 << 4;
    private const uint InterfaceAddressesSrcLease = 0;
    private const int IpAddrTypeIpv6 = 1;
    private const uint ConsoleForce = 1 << 0; // VIR_DOMAIN_CONSOLE_FORCE
    private const uint StreamBlocking = 0;

    private readonly DomainHandle _handle;

    internal unsafe LibvirtDomain(DomainHandle handle)
    {
        _handle = handle;
        var buf = stackalloc byte[NativeUuid.BufferLength];
        LibvirtError.Check(LibvirtNative.virDomainGetUUIDString(handle, buf), "virDomainGetUUIDString");
        Uuid = NativeUuid.Parse(buf);
    }

    public Guid Uuid { get; }

    /// <summary>The libvirt domain name (read each time: a domain can be renamed).</summary>
    public string Name
    {
        get
        {
            // The returned string lives inside the domain object: hold a reference until it is copied,
            // so a Dispose on another thread cannot free it in between.
            var added = false;
            try
            {
                _handle.DangerousAddRef(ref added);
                return NativeStrings.Borrowed(LibvirtNative.virDomainGetName(_handle.DangerousGetHandle()))
                    ?? throw LibvirtError.Capture("virDomainGetName");
            }
            finally
            {
                if (added)
                {
                    _handle.DangerousRelease();
                }
            }
        }
    }

    public DomainState GetState()
    {
        LibvirtError.Check(LibvirtNative.virDomainGetState(_handle, out var state, out _, 0), "virDomainGetState");
        return (DomainState)state;
    }

    public bool IsActive => LibvirtError.Check(LibvirtNative.virDomainIsActive(_handle), "virDomainIsActive") == 1;

    /// <summary>Boots the defined domain.</summary>
    public void Start() => LibvirtError.Check(LibvirtNative.virDomainCreate(_handle), "virDomainCreate");

    /// <summary>Asks the guest to power off (ACPI); returns before the guest has stopped.</summary>
    public void Shutdown() => LibvirtError.Check(LibvirtNative.virDomainShutdown(_handle), "virDomainShutdown");

    /// <summary>Pulls the plug: stops the QEMU process at once.</summary>
    public void Destroy() => LibvirtError.Check(LibvirtNative.virDomainDestroy(_handle), "virDomainDestroy");

    /// <summary>Asks the guest to reboot, with the hypervisor's default method.</summary>
    public void Reboot() => LibvirtError.Check(LibvirtNative.virDomainReboot(_handle, 0), "virDomainReboot");

    /// <summary>Presses the reset button: the guest restarts at once, without shutting down.</summary>
    public void Reset() => LibvirtError.Check(LibvirtNative.virDomainReset(_handle, 0), "virDomainReset");

    /// <summary>Removes the definition together with managed-save image, snapshot/checkpoint metadata and NVRAM.</summary>
    /// <remarks>
    /// Drivers that reject some of those flags (the test driver does) are retried with fewer flags,
    /// and finally with plain virDomainUndefine. A running domain becomes transient and disappears
    /// when it stops.
    /// </remarks>
    public void Undefine()
    {
        uint[] attempts =
        [
            UndefineManagedSave | UndefineSnapshotsMetadata | UndefineCheckpointsMetadata | UndefineNvram,
            UndefineManagedSave | UndefineSnapshotsMetadata | UndefineNvram,
            UndefineManagedSave | UndefineSnapshotsMetadata,
        ];

        foreach (var flags in attempts)
        {
            if (LibvirtNative.virDomainUndefineFlags(_handle, flags) == 0)
            {
                return;
            }

            var error = LibvirtError.Capture("virDomainUndefineFlags");
            if (!(error.IsUnsupported || error.Code == LibvirtException.ErrInvalidArg))
            {
                throw error;
            }
        }

        LibvirtError.Check(LibvirtNative.virDomainUndefine(_handle), "virDomainUndefine");
    }

    /// <summary>The live definition, or with <paramref name="inactive"/> the one used at next boot.</summary>
    public string GetXml(bool inactive = false) =>
        LibvirtError.TakeOwnedString(LibvirtNative.virDomainGetXMLDesc(_handle, inactive ? XmlInactive : 0), "virDomainGetXMLDesc");

    /// <summary>Hot-plugs a device into the running guest (<paramref name="live"/>) and/or the definition (<paramref name="config"/>).</summary>
    public void AttachDevice(string deviceXml, bool live, bool config)
    {
        ArgumentNullException.ThrowIfNull(deviceXml);
        LibvirtError.Check(LibvirtNative.virDomainAttachDeviceFlags(_handle, deviceXml, ImpactFlags(live, config)), "virDomainAttachDeviceFlags");
    }

    /// <summary>Unplugs a device. Live unplug needs the guest's cooperation (ACPI): libvirt may return
    /// before the device is gone from the live XML.</summary>
    public void DetachDevice(string deviceXml, bool live, bool config)
    {
        ArgumentNullException.ThrowIfNull(deviceXml);
        LibvirtError.Check(LibvirtNative.virDomainDetachDeviceFlags(_handle, deviceXml, ImpactFlags(live, config)), "virDomainDetachDeviceFlags");
    }

    /// <summary>Changes a device in place, e.g. the medium in a CD drive (a disk element without a source ejects it).</summary>
    public void UpdateDevice(string deviceXml, bool live, bool config)
    {
        ArgumentNullException.ThrowIfNull(deviceXml);
        LibvirtError.Check(LibvirtNative.virDomainUpdateDeviceFlags(_handle, deviceXml, ImpactFlags(live, config)), "virDomainUpdateDeviceFlags");
    }

    /// <summary>
    /// Kraut's metadata element as libvirt returns it (the element without its namespace prefix), or null when
    /// absent, including when the domain was removed since it was looked up: whoever lists domains to find
    /// Kraut's own races with everyone else undefining theirs.
    /// </summary>
    public string? GetKrautMetadataXml()
    {
        // AFFECT_CURRENT (0): the live definition of a running domain, else the persistent one.
        var ptr = LibvirtNative.virDomainGetMetadata(_handle, MetadataElement, KrautDomainMetadata.NamespaceUri, 0);
        if (ptr == IntPtr.Zero)
        {
            var error = LibvirtError.Capture("virDomainGetMetadata");
            return error.IsNoDomainMetadata || error.IsNoDomain ? null : throw error;
        }

        return NativeStrings.TakeOwned(ptr);
    }

    /// <summary>Kraut's metadata, or null when the domain has none (not created by Kraut) or is gone.</summary>
    public KrautDomainMetadata? GetKrautMetadata()
    {
        var xml = GetKrautMetadataXml();
        return xml is null ? null : KrautMetadataXml.FromElement(XElement.Parse(xml));
    }

    /// <summary>Writes Kraut's metadata into the persistent definition and, when running, the live one too.</summary>
    public void SetKrautMetadata(KrautDomainMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);

        // libvirt puts the element and its unprefixed children into the namespace given by uri/key
        // itself, and refuses an element that already declares that prefix: pass it without namespace.
        var xml = KrautMetadataXml.ToElement(metadata, XNamespace.None).ToString(SaveOptions.DisableFormatting);
        var flags = AffectConfig | (IsActive ? AffectLive : 0);
        if (LibvirtNative.virDomainSetMetadata(_handle, MetadataElement, xml, KrautDomainMetadata.Prefix, KrautDomainMetadata.NamespaceUri, flags) == 0)
        {
            return;
        }

        var error = LibvirtError.Capture("virDomainSetMetadata");
        if (!error.IsOperationInvalid || (flags & AffectLive) == 0)
        {
            throw error;
        }

        // The domain stopped between IsActive and the call: only the persistent definition is left.
        LibvirtError.Check(
            LibvirtNative.virDomainSetMetadata(_handle, MetadataElement, xml, KrautDomainMetadata.Prefix, KrautDomainMetadata.NamespaceUri, AffectConfig),
            "virDomainSetMetadata");
    }

    /// <summary>Guest addresses from the DHCP leases of libvirt's networks; empty when the domain is not
    /// running or the driver cannot tell.</summary>
    public IReadOnlyList<GuestInterfaceAddress> GetInterfaceAddresses()
    {
        var count = LibvirtNative.virDomainInterfaceAddresses(_handle, out var array, InterfaceAddressesSrcLease, 0);
        if (count < 0)
        {
            var error = LibvirtError.Capture("virDomainInterfaceAddresses");
            return error.IsUnsupported || error.IsOperationInvalid ? [] : throw error;
        }

        var pointers = new IntPtr[count];
        if (count > 0)
        {
            Marshal.Copy(array, pointers, 0, count);
        }

        LibvirtNative.free(array);

        var result = new List<GuestInterfaceAddress>();
        try
        {
            foreach (var ifacePtr in pointers)
            {
                var iface = Marshal.PtrToStructure<VirDomainInterface>(ifacePtr);
                var name = NativeStrings.Borrowed(iface.Name) ?? "";
                var mac = NativeStrings.Borrowed(iface.HwAddr)?.ToLowerInvariant();
                var size = Marshal.SizeOf<VirDomainIPAddress>();
                for (var a = 0; a < iface.NAddrs; a++)
                {
                    var addr = Marshal.PtrToStructure<VirDomainIPAddress>(iface.Addrs + (a * size));
                    result.Add(new GuestInterfaceAddress(
                        name, mac, NativeStrings.Borrowed(addr.Addr) ?? "", (int)addr.Prefix, addr.Type == IpAddrTypeIpv6));
                }
            }
        }
        finally
        {
            // Each element owns its strings and address array; virDomainInterfaceFree releases them all.
            foreach (var ifacePtr in pointers)
            {
                LibvirtNative.virDomainInterfaceFree(ifacePtr);
            }
        }

        return result;
    }

    /// <summary>Attaches to the domain's first console (the pty serial port) as a blocking stream.</summary>
    /// <param name="force">Take the console from whoever holds it: their Receive then throws a LibvirtException
    /// ("stream had I/O failure"). Without it, a console held by another stream is refused.</param>
    /// <remarks>
    /// The stream uses this domain's connection and keeps it open while the stream lives; give each console its
    /// own connection so a stuck stream never blocks other calls. The domain must be running with a pty serial.
    /// </remarks>
    /// <exception cref="LibvirtException">Not running, no pty console, or <see cref="LibvirtException.IsUnsupported"/>
    /// for drivers without consoles (test:///default).</exception>
    public LibvirtStream OpenConsole(bool force = true)
    {
        var conn = LibvirtNative.virDomainGetConnect(_handle);
        if (conn == IntPtr.Zero)
        {
            throw LibvirtError.Capture("virDomainGetConnect");
        }

        var stream = LibvirtError.Check(LibvirtNative.virStreamNew(conn, StreamBlocking), "virStreamNew");
        if (LibvirtNative.virDomainOpenConsole(_handle, null, stream, force ? ConsoleForce : 0) < 0)
        {
            var error = LibvirtError.Capture("virDomainOpenConsole");
            stream.Dispose();
            throw error;
        }

        return new LibvirtStream(stream);
    }

    public void Dispose() => _handle.Dispose();

    public override string ToString() => Uuid.ToString();

    private static uint ImpactFlags(bool live, bool config)
    {
        if (!live && !config)
        {
            throw new ArgumentException("Choose live, config or both.");
        }

        return (live ? AffectLive : 0) | (config ? AffectConfig : 0);
    }
}
