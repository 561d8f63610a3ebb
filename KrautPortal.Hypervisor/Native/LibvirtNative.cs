using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

/// <summary>The libvirt C functions Kraut uses, with their C names.</summary>
/// <remarks>
/// Returned strings are declared as <see cref="IntPtr"/>, never as <see cref="string"/>: the source
/// generator would free every returned string, but libvirt owns some of them (virDomainGetName).
/// <see cref="NativeStrings"/> turns them into managed strings and frees exactly the owned ones.
/// Callbacks are plain function pointers (<see cref="IntPtr"/>) to [UnmanagedCallersOnly] methods.
/// </remarks>
internal static partial class LibvirtNative
{
    private const string Lib = "libvirt.so.0";

    // glibc's free: libvirt allocates with g_malloc, which is the system malloc since GLib 2.46.
    // The soname is explicit because "libc.so" is a linker script on Debian, not a loadable library.
    [LibraryImport("libc.so.6")]
    internal static partial void free(IntPtr ptr);

    // ---- library, errors, event loop ----

    [LibraryImport(Lib)]
    internal static partial int virInitialize();

    [LibraryImport(Lib)]
    internal static partial int virCopyLastError(ref VirError to);

    [LibraryImport(Lib)]
    internal static partial void virResetError(ref VirError err);

    [LibraryImport(Lib)]
    internal static partial void virSetErrorFunc(IntPtr userData, IntPtr handler);

    [LibraryImport(Lib)]
    internal static partial int virEventRegisterDefaultImpl();

    [LibraryImport(Lib)]
    internal static partial int virEventRunDefaultImpl();

    // ---- connection ----

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial ConnectHandle virConnectOpen(string? name);

    [LibraryImport(Lib)]
    internal static partial int virConnectClose(IntPtr conn);

    /// <returns>Caller frees.</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virConnectGetURI(ConnectHandle conn);

    /// <returns>Caller frees.</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virConnectGetHostname(ConnectHandle conn);

    /// <returns>Caller frees.</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virConnectGetCapabilities(ConnectHandle conn);

    [LibraryImport(Lib)]
    internal static partial int virConnectIsAlive(ConnectHandle conn);

    [LibraryImport(Lib)]
    internal static partial int virConnectSetKeepAlive(ConnectHandle conn, int interval, uint count);

    [LibraryImport(Lib)]
    internal static partial int virConnectRegisterCloseCallback(ConnectHandle conn, IntPtr cb, IntPtr opaque, IntPtr freecb);

    [LibraryImport(Lib)]
    internal static partial int virConnectUnregisterCloseCallback(ConnectHandle conn, IntPtr cb);

    [LibraryImport(Lib)]
    internal static partial int virConnectDomainEventRegisterAny(ConnectHandle conn, IntPtr dom, int eventId, IntPtr cb, IntPtr opaque, IntPtr freecb);

    [LibraryImport(Lib)]
    internal static partial int virConnectDomainEventDeregisterAny(ConnectHandle conn, int callbackId);

    /// <param name="domains">Array allocated by libvirt: caller frees the array and each domain.</param>
    [LibraryImport(Lib)]
    internal static partial int virConnectListAllDomains(ConnectHandle conn, out IntPtr domains, uint flags);

    /// <param name="nets">Array allocated by libvirt: caller frees the array and each network.</param>
    [LibraryImport(Lib)]
    internal static partial int virConnectListAllNetworks(ConnectHandle conn, out IntPtr nets, uint flags);

    // ---- domain ----

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainLookupByUUIDString(ConnectHandle conn, string uuid);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainDefineXML(ConnectHandle conn, string xml);

    [LibraryImport(Lib)]
    internal static partial int virDomainFree(IntPtr domain);

    /// <returns>Owned by the domain object: never freed by the caller, valid while the domain is referenced.</returns>
    /// <remarks>Takes the raw pointer so callers can keep the domain referenced until the string is copied.</remarks>
    [LibraryImport(Lib)]
    internal static partial IntPtr virDomainGetName(IntPtr domain);

    /// <param name="buf">Caller's buffer of VIR_UUID_STRING_BUFLEN (37) bytes.</param>
    [LibraryImport(Lib)]
    internal static unsafe partial int virDomainGetUUIDString(DomainHandle domain, byte* buf);

    /// <summary>Overload for the borrowed virDomainPtr an event callback receives.</summary>
    [LibraryImport(Lib, EntryPoint = "virDomainGetUUIDString")]
    internal static unsafe partial int virDomainGetUUIDString(IntPtr domain, byte* buf);

    [LibraryImport(Lib)]
    internal static partial int virDomainGetState(DomainHandle domain, out int state, out int reason, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainIsActive(DomainHandle domain);

    [LibraryImport(Lib)]
    internal static partial int virDomainCreate(DomainHandle domain);

    [LibraryImport(Lib)]
    internal static partial int virDomainShutdown(DomainHandle domain);

    [LibraryImport(Lib)]
    internal static partial int virDomainDestroy(DomainHandle domain);

    [LibraryImport(Lib)]
    internal static partial int virDomainReboot(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainReset(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainUndefineFlags(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainUndefine(DomainHandle domain);

    /// <returns>Caller frees.</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virDomainGetXMLDesc(DomainHandle domain, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainAttachDeviceFlags(DomainHandle domain, string xml, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainDetachDeviceFlags(DomainHandle domain, string xml, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainUpdateDeviceFlags(DomainHandle domain, string xml, uint flags);

    /// <returns>Caller frees.</returns>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr virDomainGetMetadata(DomainHandle domain, int type, string? uri, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainSetMetadata(DomainHandle domain, int type, string? metadata, string? key, string? uri, uint flags);

    /// <param name="ifaces">Array allocated by libvirt: each element freed with virDomainInterfaceFree, the array with free.</param>
    [LibraryImport(Lib)]
    internal static partial int virDomainInterfaceAddresses(DomainHandle domain, out IntPtr ifaces, uint source, uint flags);

    [LibraryImport(Lib)]
    internal static partial void virDomainInterfaceFree(IntPtr iface);

    /// <returns>Borrowed: the domain's own connection, no reference added; valid while the domain is referenced.</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virDomainGetConnect(DomainHandle domain);

    /// <param name="devName">NULL: the domain's first console (serial port 0 for a pty serial).</param>
    /// <param name="flags">VIR_DOMAIN_CONSOLE_FORCE (1) takes the console from whoever holds it.</param>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainOpenConsole(DomainHandle domain, string? devName, StreamHandle stream, uint flags);

    // ---- stream ----

    /// <param name="conn">Raw pointer from virDomainGetConnect; the stream takes its own reference on it.</param>
    /// <param name="flags">0: blocking; VIR_STREAM_NONBLOCK (1) would make Recv return -2 when nothing is there.</param>
    [LibraryImport(Lib)]
    internal static partial StreamHandle virStreamNew(IntPtr conn, uint flags);

    /// <returns>Bytes read, 0 at end of stream, -1 on error (-2 only for non-blocking streams).</returns>
    [LibraryImport(Lib)]
    internal static unsafe partial int virStreamRecv(StreamHandle stream, byte* data, nuint nbytes);

    /// <returns>Bytes written (possibly fewer than asked), -1 on error.</returns>
    [LibraryImport(Lib)]
    internal static unsafe partial int virStreamSend(StreamHandle stream, byte* data, nuint nbytes);

    [LibraryImport(Lib)]
    internal static partial int virStreamFinish(StreamHandle stream);

    [LibraryImport(Lib)]
    internal static partial int virStreamAbort(StreamHandle stream);

    [LibraryImport(Lib)]
    internal static partial int virStreamFree(IntPtr stream);

    // ---- network ----

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NetworkHandle virNetworkLookupByName(ConnectHandle conn, string name);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NetworkHandle virNetworkDefineXML(ConnectHandle conn, string xml);

    [LibraryImport(Lib)]
    internal static partial int virNetworkFree(IntPtr network);

    /// <returns>Owned by the network object: never freed by the caller, valid while the network is referenced.</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virNetworkGetName(NetworkHandle network);

    /// <param name="buf">Caller's buffer of VIR_UUID_STRING_BUFLEN (37) bytes.</param>
    [LibraryImport(Lib)]
    internal static unsafe partial int virNetworkGetUUIDString(NetworkHandle network, byte* buf);

    [LibraryImport(Lib)]
    internal static partial int virNetworkIsActive(NetworkHandle network);

    [LibraryImport(Lib)]
    internal static partial int virNetworkIsPersistent(NetworkHandle network);

    [LibraryImport(Lib)]
    internal static partial int virNetworkCreate(NetworkHandle network);

    [LibraryImport(Lib)]
    internal static partial int virNetworkDestroy(NetworkHandle network);

    [LibraryImport(Lib)]
    internal static partial int virNetworkUndefine(NetworkHandle network);

    [LibraryImport(Lib)]
    internal static partial int virNetworkSetAutostart(NetworkHandle network, int autostart);

    /// <returns>Caller frees.</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virNetworkGetBridgeName(NetworkHandle network);

    /// <returns>Caller frees.</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virNetworkGetXMLDesc(NetworkHandle network, uint flags);

    /// <param name="leases">Array allocated by libvirt: each element freed with virNetworkDHCPLeaseFree, the array with free.</param>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virNetworkGetDHCPLeases(NetworkHandle network, string? mac, out IntPtr leases, uint flags);

    [LibraryImport(Lib)]
    internal static partial void virNetworkDHCPLeaseFree(IntPtr lease);

    /// <param name="command">VIR_NETWORK_UPDATE_COMMAND_*; <paramref name="section"/> VIR_NETWORK_SECTION_*.</param>
    /// <param name="parentIndex">Which &lt;ip&gt; element, in document order; -1 lets libvirt pick.</param>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virNetworkUpdate(NetworkHandle network, uint command, uint section, int parentIndex, string xml, uint flags);

    /// <param name="ports">Array allocated by libvirt: each element freed with virNetworkPortFree, the array with free.</param>
    [LibraryImport(Lib)]
    internal static partial int virNetworkListAllPorts(NetworkHandle network, out IntPtr ports, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virNetworkPortFree(IntPtr port);

    // ---- network filter (nwfilter) ----

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NwFilterHandle virNWFilterLookupByName(ConnectHandle conn, string name);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NwFilterHandle virNWFilterDefineXML(ConnectHandle conn, string xml);

    [LibraryImport(Lib)]
    internal static partial int virNWFilterUndefine(NwFilterHandle nwfilter);

    [LibraryImport(Lib)]
    internal static partial int virNWFilterFree(IntPtr nwfilter);

    /// <returns>Caller frees.</returns>
    [LibraryImport(Lib)]
    internal static partial IntPtr virNWFilterGetXMLDesc(NwFilterHandle nwfilter, uint flags);
}
