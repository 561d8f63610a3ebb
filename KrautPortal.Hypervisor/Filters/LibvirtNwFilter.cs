using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

/// <summary>One libvirt network filter (nwfilter): named rules libvirt turns into ebtables rules on a guest's NIC.</summary>
public sealed class LibvirtNwFilter : IDisposable
{
    private readonly NwFilterHandle _handle;

    internal LibvirtNwFilter(NwFilterHandle handle) => _handle = handle;

    public string GetXml() => LibvirtError.TakeOwnedString(LibvirtNative.virNWFilterGetXMLDesc(_handle, 0), "virNWFilterGetXMLDesc");

    /// <summary>Removes the definition; libvirt refuses while a running guest's NIC uses it.</summary>
    public void Undefine() => LibvirtError.Check(LibvirtNative.virNWFilterUndefine(_handle), "virNWFilterUndefine");

    public void Dispose() => _handle.Dispose();
}
