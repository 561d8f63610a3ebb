using System.Net.Sockets;
using System.Net.WebSockets;

namespace KrautPortal.Features.Consoles;

/// <summary>
/// A VM's screen: per session, a connection to the VNC server QEMU runs on the VM's Unix socket
/// (<see cref="KrautPaths.VncSocketFor"/>, never a network address), its RFB stream relayed both ways as binary frames.
/// </summary>
public sealed class VncRelay(KrautPaths paths)
{
    public async Task RunAsync(ConsoleSession session, WebSocket socket, CancellationToken ct)
    {
        using var vnc = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await vnc.ConnectAsync(new UnixDomainSocketEndPoint(paths.VncSocketFor(session.VmId)), ct);
        }
        catch (SocketException e)
        {
            session.Close($"The VM's screen is not reachable ({e.SocketErrorCode}); it may have no graphics, or be starting.");
            return;
        }
        // Socket calls on the WebSocket get no token: cancelling one aborts it, and the client would then learn no reason.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, session.Closing);
        var down = ToClientAsync(vnc, socket, session, stop.Token);
        var up = ToGuestAsync(vnc, socket, session);
        await Task.WhenAny(down, up);
        await stop.CancelAsync();
        vnc.Shutdown(SocketShutdown.Both);
        await ConsoleSocket.FinishAsync(socket, session, down, up);
    }

    private static async Task ToClientAsync(Socket vnc, WebSocket socket, ConsoleSession session, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await vnc.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (read == 0)
            {
                session.Close("The VM's screen closed: the VM stopped.");
                return;
            }
            await socket.SendAsync(buffer.AsMemory(0, read), WebSocketMessageType.Binary, true, CancellationToken.None);
            session.CountOut(read);
        }
    }

    private static async Task ToGuestAsync(Socket vnc, WebSocket socket, ConsoleSession session)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                session.Close("The viewer closed the console.");
                return;
            }
            // RFB is binary; a text frame is not part of it.
            if (result.MessageType != WebSocketMessageType.Binary) continue;
            for (var sent = 0; sent < result.Count;)
                sent += await vnc.SendAsync(buffer.AsMemory(sent, result.Count - sent), SocketFlags.None);
            session.CountIn(result.Count);
        }
    }
}
