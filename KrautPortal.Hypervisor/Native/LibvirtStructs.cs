using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

// Mirrors of the public structs in virterror.h, libvirt-domain.h and libvirt-network.h (libvirt 9.0).
// Field order and types must match the C layout exactly; pointers are IntPtr.

/// <summary>struct _virError. Filled by virCopyLastError; its strings are released with virResetError.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirError
{
    public int Code;
    public int Domain;
    public IntPtr Message;
    public int Level;
    public IntPtr Conn;
    public IntPtr Dom;
    public IntPtr Str1;
    public IntPtr Str2;
    public IntPtr Str3;
    public int Int1;
    public int Int2;
    public IntPtr Net;
}

/// <summary>struct _virDomainInterface.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirDomainInterface
{
    public IntPtr Name;
    public IntPtr HwAddr;
    public uint NAddrs;
    public IntPtr Addrs;
}

/// <summary>struct _virDomainInterfaceIPAddress.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirDomainIPAddress
{
    public int Type;
    public IntPtr Addr;
    public uint Prefix;
}

/// <summary>struct _virNetworkDHCPLease.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirNetworkDhcpLease
{
    public IntPtr Iface;
    public long ExpiryTime;
    public int Type;
    public IntPtr Mac;
    public IntPtr Iaid;
    public IntPtr IpAddr;
    public uint Prefix;
    public IntPtr Hostname;
    public IntPtr ClientId;
}
