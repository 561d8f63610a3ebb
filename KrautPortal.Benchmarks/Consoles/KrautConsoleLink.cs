using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace KrautPortal.Benchmarks.Consoles;

/// <summary>
/// Kraut's serial console as a command-line client uses it: a ticket from <c>POST /api/v1/vms/{id}/console</c>, then a
/// WebSocket with the subprotocols <c>kraut.console</c> and <c>kraut.ticket.&lt;ticket&gt;</c> (no Origin header: not a
/// browser). Binary frames are raw bytes both ways; text frames (JSON control messages) are not console output.
/// </summary>
public sealed class KrautConsoleLink : IConsoleLink
{
    private readonly ClientWebSocket _socket;
    private readonly Task _reader;
    private readonly SemaphoreSlim _sending = new(1, 1);

    private KrautConsoleLink(ClientWebSocket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadLoopAsync);
    }

    public string Side => "Kraut";

    public ConsoleOutput Output { get; } = new();

    public static async Task<KrautConsoleLink> OpenAsync(HttpClient api, Guid vmId)
    {
        using var issued = await api.PostAsJsonAsync($"api/v1/vms/{vmId}/console", new { type = "serial" });
        if (issued.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /api/v1/vms/{vmId}/console: {(int)issued.StatusCode} {await issued.Content.ReadAsStringAsync()}");
        var ticket = await issued.Content.ReadFromJsonAsync<JsonElement>();
        var socket = new ClientWebSocket();
        foreach (var protocol in ticket.GetProperty("protocols").EnumerateArray()) socket.Options.AddSubProtocol(protocol.GetString()!);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(new Uri(ticket.GetProperty("url").GetString()!), timeout.Token);
        return new KrautConsoleLink(socket);
    }

    public async Task SendAsync(ReadOnlyMemory<byte> keys)
    {
        await _sending.WaitAsync();
        try
        {
            await _socket.SendAsync(keys, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        }
        finally
        {
            _sending.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            if (_socket.State == WebSocketState.Open) await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "benchmark done", timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // the server went first
        }
        _socket.Abort();
        try
        {
            await _reader;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // aborted above
        }
        _socket.Dispose();
        _sending.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var control = new StringBuilder();
        string? lastControl = null;
        try
        {
            while (true)
            {
                var frame = await _socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                var now = Stopwatch.GetTimestamp();
                if (frame.MessageType == WebSocketMessageType.Close) break;
                if (frame.MessageType == WebSocketMessageType.Binary) Output.Append(buffer.AsSpan(0, frame.Count), now);
                else
                {
                    // Control messages ({"op":"state"…}, {"op":"closed","reason":…}): kept only to explain an unexpected end.
                    control.Append(Encoding.UTF8.GetString(buffer, 0, frame.Count));
                    if (frame.EndOfMessage)
                    {
                        lastControl = control.ToString();
                        control.Clear();
                    }
                }
            }
        }
        finally
        {
            Output.End($"WebSocket {_socket.CloseStatus} \"{_socket.CloseStatusDescription}\", last control message {lastControl ?? "none"}");
        }
    }
}
