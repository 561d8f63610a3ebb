using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KrautPortal.Tests.Browser;

/// <summary>
/// A TCP relay between the browser and a portal whose HTTP connections can be lost the way a dropped network loses
/// them: reset in the middle of a request, and new ones refused until <see cref="Restore"/>. WebSocket connections
/// (the Blazor circuit) are left alone, so the page can still show what the upload script makes of the loss.
/// DevTools' offline emulation cannot stand in for this: Chromium lets a request already in flight finish (it even
/// stops throttling it), and it holds back the circuit's frames, so the page shows nothing until it is online again.
/// </summary>
public sealed class CuttableLink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly DnsEndPoint _target;
    private readonly ConcurrentDictionary<Socket, bool> _open = new(); // socket → is a WebSocket
    private readonly Task _accepting;
    private volatile bool _cut;
    private volatile bool _webSocketsCut;

    public CuttableLink(Uri target)
    {
        _target = new DnsEndPoint(target.Host, target.Port);
        _listener.Start();
        Address = new UriBuilder(target) { Port = ((IPEndPoint)_listener.LocalEndpoint).Port }.Uri;
        _accepting = AcceptAsync();
    }

    /// <summary>The target, reached through this link.</summary>
    public Uri Address { get; }

    /// <summary>Resets every HTTP connection (and with <paramref name="webSockets"/> the WebSockets too), mid-request or not, and refuses new ones.</summary>
    public void Cut(bool webSockets = false)
    {
        _webSocketsCut = webSockets;
        _cut = true;
        foreach (var (socket, isWebSocket) in _open)
            if (!isWebSocket || webSockets) Reset(socket);
    }

    public void Restore() => (_cut, _webSocketsCut) = (false, false);

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await server.ConnectAsync(_target);
            // The request line and headers come in the first read: enough to tell a WebSocket upgrade from HTTP.
            var first = new byte[16 * 1024];
            var read = await client.ReceiveAsync(first);
            if (read == 0) return;
            var isWebSocket = Encoding.ASCII.GetString(first, 0, read).Contains("upgrade: websocket", StringComparison.OrdinalIgnoreCase);
            _open[client] = isWebSocket;
            if (_cut && (!isWebSocket || _webSocketsCut))
            {
                Reset(client);
                return;
            }
            await server.SendAsync(first.AsMemory(0, read));
            // Whichever side ends first ends both: the portal then sees the request's body stop, as with a real loss.
            await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // the link was cut, or one side left
        }
        finally
        {
            _open.TryRemove(client, out _);
            Reset(client);
            Reset(server);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer)) > 0) await to.SendAsync(buffer.AsMemory(0, read));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // the other direction, or Cut, closed the socket
        }
    }

    /// <summary>Closes with a TCP reset, as a lost route or a restarted middlebox would, not with a polite FIN.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
            // already closed
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _accepting;
        Cut(webSockets: true);
    }
}
