namespace KrautPortal.Features.Consoles;

/// <summary>libvirt's console stream (virDomainOpenConsole) of a VM, each on a connection of its own.</summary>
public sealed class LibvirtSerialConsoleSource : ISerialConsoleSource
{
    public ISerialConnection Open(string hostUri, Guid vmId) =>
        throw new NotSupportedException("This build has no libvirt console streams yet.");
}
