using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

// Transient domains: started from XML, gone when destroyed (the KVM probe of a remote host).
internal static partial class LibvirtNative
{
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainCreateXML(ConnectHandle conn, string xml, uint flags);
}
