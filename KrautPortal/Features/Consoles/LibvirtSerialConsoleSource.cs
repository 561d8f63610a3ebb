using KrautPortal.Hypervisor;

namespace KrautPortal.Features.Consoles;

/// <summary>
/// libvirt's console stream (virDomainOpenConsole, forced: a stale holder is pushed off) of a VM, each on a connection
/// of its own, so a stuck stream never blocks the reconciler's calls and closing the connection ends the stream.
/// </summary>
public sealed class LibvirtSerialConsoleSource : ISerialConsoleSource
{
    public ISerialConnection Open(string hostUri, Guid vmId)
    {
        var connection = LibvirtConnection.Open(hostUri);
        LibvirtDomain? domain = null;
        try
        {
            domain = connection.FindDomain(vmId) ?? throw new InvalidOperationException("The VM has no domain on its host.");
            return new Connection(connection, domain, domain.OpenConsole(force: true));
        }
        catch
        {
            domain?.Dispose();
            connection.Dispose();
            throw;
        }
    }

    private sealed class Connection(LibvirtConnection connection, LibvirtDomain domain, LibvirtStream stream) : ISerialConnection
    {
        public int Receive(Span<byte> buffer) => stream.Receive(buffer);

        public void Send(ReadOnlySpan<byte> data) => stream.Send(data);

        public void Interrupt() => stream.Abort();

        public void Dispose()
        {
            stream.Dispose();
            domain.Dispose();
            connection.Dispose();
        }
    }
}
