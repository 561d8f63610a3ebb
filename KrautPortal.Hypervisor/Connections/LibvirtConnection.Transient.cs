using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

// Transient domains: nothing persistent is left behind once they are destroyed.
public sealed partial class LibvirtConnection
{
    /// <summary>Creates and starts a transient domain; destroying it removes it entirely.</summary>
    public LibvirtDomain CreateTransientDomain(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        return new LibvirtDomain(LibvirtError.Check(LibvirtNative.virDomainCreateXML(_handle, xml, 0), "virDomainCreateXML"));
    }
}
