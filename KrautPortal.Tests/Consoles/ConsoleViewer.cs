using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace KrautPortal.Tests.Consoles;

/// <summary>
/// A serial console client over a real WebSocket, as a terminal page would be: everything the portal sends is collected
/// (output as text, control messages as JSON) by one receiving loop; keystrokes and takeovers go the other way.
/// </summary>
public sealed class ConsoleViewer : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly StringBuilder _output = new();
    private readonly List<JsonObject> _messages = [];
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly Lock _lock = new();
    private readonly Task _receiving;

    private ConsoleViewer(ClientWebSocket socket)
    {
        _socket = socket;
        _receiving = Task.Run(ReceiveAsync);
    }

    public static async Task<ConsoleViewer> OpenAsync(Uri uri, string ticket, string? origin = null) =>
        new(await ConsolePortal.ConnectAsync(uri, ticket, origin));

    public string Output
    {
        get
        {
            lock (_lock) return _output.ToString();
        }
    }

    public IReadOnlyList<JsonObject> Messages
    {
        get
        {
            lock (_lock) return [.. _messages];
        }
    }

    /// <summary>The latest state message.</summary>
    public JsonObject? State => Messages.LastOrDefault(m => (string?)m["op"] == "state");

    /// <summary>The reason of the <c>closed</c> message, once it came.</summary>
    public string? ClosedReason => (string?)Messages.FirstOrDefault(m => (string?)m["op"] == "closed")?["reason"];

    public WebSocketState SocketState => _socket.State;

    public Task Ended => _receiving;

    public Task TypeAsync(string text) => _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Binary, true, CancellationToken.None);

    public Task SendControlAsync(JsonObject message) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        try
        {
            await Eventually.WaitUntilAsync(() => Output.Contains(text, StringComparison.Ordinal) || _receiving.IsCompleted, timeout, $"'{text}' on the console");
        }
        catch (TimeoutException timedOut)
        {
            // What the guest did print is what tells a slow boot from a lost write when this fails in a full run.
            throw new TimeoutException($"{timedOut.Message} It showed: {Tail()}", timedOut);
        }
        if (!Output.Contains(text, StringComparison.Ordinal))
            throw new InvalidOperationException($"the console closed ({ClosedReason}) before '{text}' came; it showed: {Tail()}");
    }

    public Task WaitForStateAsync(Func<JsonObject, bool> condition, string what) =>
        Eventually.WaitUntilAsync(() => State is { } state && condition(state), TimeSpan.FromSeconds(15), what);

    /// <summary>Waits until the portal closed the console; returns the reason it gave.</summary>
    public async Task<string> WaitClosedAsync(TimeSpan timeout)
    {
        await _receiving.WaitAsync(timeout);
        return ClosedReason ?? throw new InvalidOperationException($"closed without a reason ({_socket.CloseStatusDescription})");
    }

    private string Tail()
    {
        var output = Output;
        return output.Length <= 400 ? output : output[^400..];
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        var text = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close) return;
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    var chars = new char[_decoder.GetCharCount(buffer, 0, result.Count)];
                    _decoder.GetChars(buffer, 0, result.Count, chars, 0);
                    lock (_lock) _output.Append(new string(chars).Replace("\r", "", StringComparison.Ordinal));
                    continue;
                }
                text.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) continue;
                var message = JsonNode.Parse(text.ToArray())!.AsObject();
                text.SetLength(0);
                lock (_lock) _messages.Add(message);
            }
        }
        catch (WebSocketException)
        {
            // the connection went; what came is kept
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // already going
            }
        }
        await _receiving.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        _socket.Dispose();
    }
}
