using System.Runtime.InteropServices;
using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

/// <summary>One libvirt virtual network (bridge plus dnsmasq).</summary>
public sealed class LibvirtNetwork : IDisposable
{
    private const int IpAddrTypeIpv6 = 1;
    private const uint XmlInactive = 1 << 0; // VIR_NETWORK_XML_INACTIVE
    private const uint UpdateCommandDelete = 2; // VIR_NETWORK_UPDATE_COMMAND_DELETE
    private const uint UpdateCommandAddLast = 3; // VIR_NETWORK_UPDATE_COMMAND_ADD_LAST
    private const uint SectionIpDhcpHost = 4; // VIR_NETWORK_SECTION_IP_DHCP_HOST
    private const uint UpdateAffectLive = 1 << 0;
    private const uint UpdateAffectConfig = 1 << 1;

    private readonly NetworkHandle _handle;

    internal unsafe LibvirtNetwork(NetworkHandle handle)
    {
        _handle = handle;
        var buf = stackalloc byte[NativeUuid.BufferLength];
        LibvirtError.Check(LibvirtNative.virNetworkGetUUIDString(handle, buf), "virNetworkGetUUIDString");
        Uuid = NativeUuid.Parse(buf);
        Name = NativeStrings.Borrowed(LibvirtNative.virNetworkGetName(handle)) ?? throw LibvirtError.Capture("virNetworkGetName");
    }

    public Guid Uuid { get; }

    /// <summary>Networks cannot be renamed, so the name is read once.</summary>
    public string Name { get; }

    public bool IsActive => LibvirtError.Check(LibvirtNative.virNetworkIsActive(_handle), "virNetworkIsActive") == 1;

    public bool IsPersistent => LibvirtError.Check(LibvirtNative.virNetworkIsPersistent(_handle), "virNetworkIsPersistent") == 1;

    /// <summary>Creates the bridge and starts dnsmasq.</summary>
    public void Start() => LibvirtError.Check(LibvirtNative.virNetworkCreate(_handle), "virNetworkCreate");

    /// <summary>Stops the network; guests attached to it lose their link.</summary>
    public void Destroy() => LibvirtError.Check(LibvirtNative.virNetworkDestroy(_handle), "virNetworkDestroy");

    public void Undefine() => LibvirtError.Check(LibvirtNative.virNetworkUndefine(_handle), "virNetworkUndefine");

    public void SetAutostart(bool autostart) =>
        LibvirtError.Check(LibvirtNative.virNetworkSetAutostart(_handle, autostart ? 1 : 0), "virNetworkSetAutostart");

    /// <summary>The host bridge (virbrN), or null when the network has none (e.g. macvtap or hostdev networks).</summary>
    public string? GetBridgeName()
    {
        var ptr = LibvirtNative.virNetworkGetBridgeName(_handle);
        if (ptr != IntPtr.Zero)
        {
            return NativeStrings.TakeOwned(ptr);
        }

        var error = LibvirtError.Capture("virNetworkGetBridgeName");
        return error.Code == LibvirtException.ErrInternalError ? null : throw error;
    }

    public string GetXml(bool inactive = false) =>
        LibvirtError.TakeOwnedString(LibvirtNative.virNetworkGetXMLDesc(_handle, inactive ? XmlInactive : 0), "virNetworkGetXMLDesc");

    /// <summary>Current leases of the network's dnsmasq; empty when the driver keeps none (the test driver).</summary>
    public IReadOnlyList<DhcpLease> GetDhcpLeases()
    {
        var count = LibvirtNative.virNetworkGetDHCPLeases(_handle, null, out var array, 0);
        if (count < 0)
        {
            var error = LibvirtError.Capture("virNetworkGetDHCPLeases");
            return error.IsUnsupported ? [] : throw error;
        }
        var pointers = new IntPtr[count];
        if (count > 0)
        {
            Marshal.Copy(array, pointers, 0, count);
        }

        LibvirtNative.free(array);

        var result = new List<DhcpLease>(count);
        try
        {
            foreach (var ptr in pointers)
            {
                var lease = Marshal.PtrToStructure<VirNetworkDhcpLease>(ptr);
                result.Add(new DhcpLease(
                    NativeStrings.Borrowed(lease.Iface) ?? "",
                    DateTimeOffset.FromUnixTimeSeconds(lease.ExpiryTime),
                    NativeStrings.Borrowed(lease.Mac)?.ToLowerInvariant() ?? "",
                    NativeStrings.Borrowed(lease.IpAddr) ?? "",
                    (int)lease.Prefix,
                    lease.Type == IpAddrTypeIpv6,
                    NativeStrings.Borrowed(lease.Hostname),
                    NativeStrings.Borrowed(lease.ClientId)));
            }
        }
        finally
        {
            // Each lease owns its strings; virNetworkDHCPLeaseFree releases them with the struct.
            foreach (var ptr in pointers)
            {
                LibvirtNative.virNetworkDHCPLeaseFree(ptr);
            }
        }

        return result;
    }

    /// <summary>
    /// Adds or removes one DHCP reservation (<see cref="NetworkXml.BuildHost"/>) without restarting the network:
    /// libvirt rewrites dnsmasq's hosts file and signals it, so running guests keep their link.
    /// </summary>
    /// <param name="ipIndex">The &lt;ip&gt; element the host belongs to, in document order.</param>
    public void UpdateDhcpHost(bool add, int ipIndex, string hostXml, bool live, bool config)
    {
        ArgumentNullException.ThrowIfNull(hostXml);
        var flags = (live ? UpdateAffectLive : 0) | (config ? UpdateAffectConfig : 0);
        LibvirtError.Check(
            LibvirtNative.virNetworkUpdate(_handle, add ? UpdateCommandAddLast : UpdateCommandDelete, SectionIpDhcpHost, ipIndex, hostXml, flags),
            "virNetworkUpdate");
    }

    /// <summary>How many guest interfaces are plugged into the running network (libvirt's network ports).</summary>
    public int CountPorts()
    {
        var count = LibvirtNative.virNetworkListAllPorts(_handle, out var array, 0);
        if (count < 0)
        {
            throw LibvirtError.Capture("virNetworkListAllPorts");
        }

        var pointers = new IntPtr[count];
        if (count > 0)
        {
            Marshal.Copy(array, pointers, 0, count);
        }

        foreach (var ptr in pointers)
        {
            _ = LibvirtNative.virNetworkPortFree(ptr);
        }

        LibvirtNative.free(array);
        return count;
    }

    public void Dispose() => _handle.Dispose();

    public override string ToString() => Name;
}
