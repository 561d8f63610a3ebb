using System.Diagnostics;
using KrautPortal.Hypervisor;

namespace KrautPortal.Benchmarks.Consoles;

/// <summary>
/// libvirt's console stream itself, in the benchmark's process (<see cref="LibvirtDomain.OpenConsole"/> on a connection
/// of its own, one reading thread): what the portal relays, without the portal and the WebSocket. Not a baseline, a
/// reference that tells how much of Kraut's time is libvirt's.
/// </summary>
public sealed class LibvirtStreamLink : IConsoleLink
{
    private readonly LibvirtConnection _connection;
    private readonly LibvirtDomain _domain;
    private readonly LibvirtStream _stream;
    private readonly Thread _reader;

    private LibvirtStreamLink(LibvirtConnection connection, LibvirtDomain domain, LibvirtStream stream)
    {
        _connection = connection;
        _domain = domain;
        _stream = stream;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "libvirt console stream reader" };
        _reader.Start();
    }

    public string Side => "libvirt stream";

    public ConsoleOutput Output { get; } = new();

    public static IConsoleLink Open(Guid vmId)
    {
        var connection = LibvirtConnection.Open(TestHosts.System);
        LibvirtDomain? domain = null;
        try
        {
            domain = connection.FindDomain(vmId) ?? throw new InvalidOperationException($"no domain {vmId}");
            return new LibvirtStreamLink(connection, domain, domain.OpenConsole(force: true));
        }
        catch
        {
            domain?.Dispose();
            connection.Dispose();
            throw;
        }
    }

    public Task SendAsync(ReadOnlyMemory<byte> keys)
    {
        _stream.Send(keys.Span);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        // Aborting wakes the reader's blocked Receive, which then returns 0.
        _stream.Abort();
        _reader.Join(TimeSpan.FromSeconds(10));
        _stream.Dispose();
        _domain.Dispose();
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }

    private void ReadLoop()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = _stream.Receive(buffer);
                var now = Stopwatch.GetTimestamp();
                if (n <= 0) break;
                Output.Append(buffer.AsSpan(0, n), now);
            }
        }
        catch (LibvirtException)
        {
            // taken over or aborted: the end of this link
        }
        finally
        {
            Output.End();
        }
    }
}
