using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace KrautPortal.Features.Consoles;

/// <summary>
/// Serial consoles shared by their viewers: one libvirt console stream per VM, opened at the first viewer and closed
/// after the last, read by a thread of its own and fanned out to every viewer through a bounded backlog each (a viewer
/// that falls behind is dropped; the guest never waits for it). Each viewer first gets the tail of the console log,
/// then live output. One viewer types at a time: whoever joins while nobody types, anybody else after a takeover.
/// </summary>
public sealed class SerialConsoleHub(ISerialConsoleSource source, Vms.VmConsoleLogs logs, ILogger<SerialConsoleHub> logger)
{
    /// <summary>How much of the console log a viewer sees before live output.</summary>
    public const int TailBytes = 64 * 1024;

    /// <summary>
    /// Bytes a viewer may have waiting before it is dropped. Counted in bytes, not frames: under load the stream yields
    /// many tiny reads, and a frame count dropped viewers that were only a moment behind a burst.
    /// </summary>
    public const int BacklogBytes = 4 * 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, SharedConsole> _consoles = [];

    /// <summary>VMs whose console stream is open now.</summary>
    public int OpenStreams
    {
        get
        {
            lock (_lock) return _consoles.Count;
        }
    }

    /// <summary>Serves one viewer until it leaves or its session is closed; the caller then closes the socket.</summary>
    public async Task RunAsync(ConsoleSession session, WebSocket socket, string hostUri, CancellationToken ct)
    {
        var viewer = new Viewer(session);
        SharedConsole console;
        try
        {
            console = Join(session.VmId, hostUri, viewer);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not open the serial console of VM {Vm}", session.VmId);
            session.Close($"The console could not be opened: {e.Message}");
            return;
        }
        try
        {
            // Socket calls get no token: cancelling one aborts the socket, and the client would then learn no reason.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, session.Closing);
            var send = SendAsync(viewer, hostUri, socket, stop.Token);
            var receive = ReceiveAsync(console, viewer, socket);
            await Task.WhenAny(send, receive);
            await stop.CancelAsync();
            await ConsoleSocket.FinishAsync(socket, session, send, receive);
        }
        finally
        {
            Leave(console, viewer);
        }
    }

    private SharedConsole Join(Guid vmId, string hostUri, Viewer viewer)
    {
        lock (_lock)
        {
            // A console whose stream ended (the VM stopped) is not joined: its viewers are on their way out.
            if (!_consoles.TryGetValue(vmId, out var console) || console.Ended)
            {
                console = new SharedConsole(vmId, source.Open(hostUri, vmId), logger);
                _consoles[vmId] = console;
                console.Start();
            }
            console.Add(viewer);
            return console;
        }
    }

    private void Leave(SharedConsole console, Viewer viewer)
    {
        lock (_lock)
        {
            if (console.Remove(viewer) == 0)
            {
                if (_consoles.GetValueOrDefault(console.VmId) == console) _consoles.Remove(console.VmId);
                console.Shutdown();
            }
        }
    }

    private async Task SendAsync(Viewer viewer, string hostUri, WebSocket socket, CancellationToken ct)
    {
        // On a remote host the log is a volume there, fetched by stream; when that fails the live output still follows.
        var tail = await logs.TailAsync(viewer.Session.VmId, hostUri, TailBytes, ct);
        foreach (var chunk in Frames(tail.Bytes))
        {
            await socket.SendAsync(chunk, WebSocketMessageType.Binary, true, CancellationToken.None);
            viewer.Session.CountOut(chunk.Count);
        }
        await foreach (var frame in viewer.Outbox.Reader.ReadAllAsync(ct))
        {
            await socket.SendAsync(frame.Data, frame.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary, true, CancellationToken.None);
            viewer.Sent(frame);
            if (!frame.Text) viewer.Session.CountOut(frame.Data.Length);
        }
    }

    /// <summary>The console log's tail in frames of at most 16 KiB.</summary>
    private static IEnumerable<ArraySegment<byte>> Frames(byte[] bytes)
    {
        for (var at = 0; at < bytes.Length; at += 16 * 1024)
            yield return new ArraySegment<byte>(bytes, at, Math.Min(16 * 1024, bytes.Length - at));
    }

    private static async Task ReceiveAsync(SharedConsole console, Viewer viewer, WebSocket socket)
    {
        var buffer = new byte[4096];
        using var text = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                viewer.Session.Close("The viewer closed the console.");
                return;
            }
            if (result.MessageType == WebSocketMessageType.Binary)
            {
                if (console.Typist == viewer)
                {
                    console.Send(buffer.AsSpan(0, result.Count));
                    viewer.Session.CountIn(result.Count);
                }
                continue;
            }
            if (text.Length + result.Count > 64 * 1024)
            {
                viewer.Session.Close("A control message was too long.");
                return;
            }
            text.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage) continue;
            Control(console, viewer, text.ToArray());
            text.SetLength(0);
        }
    }

    /// <summary>Client messages: <c>{"op":"takeover"}</c>; others (<c>resize</c>) are ignored, as is what is not JSON.</summary>
    private static void Control(SharedConsole console, Viewer viewer, byte[] message)
    {
        try
        {
            using var json = JsonDocument.Parse(message);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("op", out var op) && op.ValueKind == JsonValueKind.String
                && op.GetString() == "takeover")
            {
                console.TakeOver(viewer);
            }
        }
        catch (JsonException)
        {
            // not a control message Kraut knows
        }
    }

    internal readonly record struct Frame(byte[] Data, bool Text);

    internal sealed class Viewer(ConsoleSession session)
    {
        public ConsoleSession Session { get; } = session;

        private long _queuedBytes;

        public Channel<Frame> Outbox { get; } = Channel.CreateUnbounded<Frame>(new UnboundedChannelOptions { SingleReader = true });

        /// <summary>Queues the frame; false when that would put more than <see cref="BacklogBytes"/> in waiting (or the viewer left).</summary>
        public bool TryQueue(Frame frame)
        {
            if (Interlocked.Add(ref _queuedBytes, frame.Data.Length) > BacklogBytes || !Outbox.Writer.TryWrite(frame))
            {
                Interlocked.Add(ref _queuedBytes, -frame.Data.Length);
                return false;
            }
            return true;
        }

        public void Sent(Frame frame) => Interlocked.Add(ref _queuedBytes, -frame.Data.Length);
    }

    /// <summary>One VM's console stream, its reading thread and its viewers.</summary>
    /// <remarks>
    /// Sessions are closed outside the lock: closing cancels tokens whose continuations may run on the closing thread
    /// and come back here (a viewer leaving), which must neither deadlock with a joining viewer nor change the list
    /// being walked.
    /// </remarks>
    private sealed class SharedConsole(Guid vmId, ISerialConnection stream, ILogger logger)
    {
        private readonly Lock _lock = new();
        private readonly Lock _sendLock = new();
        private Viewer[] _viewers = [];
        private volatile bool _closing;
        private volatile bool _ended;

        /// <summary>Both the reading thread and <see cref="Shutdown"/> are done with the stream when this reaches 2.</summary>
        private int _finished;

        public bool Ended => _ended;

        public Guid VmId { get; } = vmId;
        public Viewer? Typist { get; private set; }

        public void Start()
        {
            // A thread of its own: Receive blocks in libvirt, which must not hold a thread-pool thread for the session's life.
            new Thread(ReadLoop) { IsBackground = true, Name = $"console {VmId:N}" }.Start();
        }

        public void Add(Viewer viewer)
        {
            List<Viewer> dropped;
            lock (_lock)
            {
                _viewers = [.. _viewers, viewer];
                if (Typist is null) SetTypist(viewer);
                dropped = PublishState();
            }
            Drop(dropped);
        }

        /// <summary>Removes the viewer; returns how many remain.</summary>
        public int Remove(Viewer viewer)
        {
            List<Viewer> dropped;
            int remaining;
            lock (_lock)
            {
                _viewers = [.. _viewers.Where(v => v != viewer)];
                viewer.Outbox.Writer.TryComplete();
                // The keyboard is nobody's until someone takes it: the remaining viewers did not ask for it.
                if (Typist == viewer) SetTypist(null);
                dropped = PublishState();
                remaining = _viewers.Length;
            }
            Drop(dropped);
            return remaining;
        }

        public void TakeOver(Viewer viewer)
        {
            List<Viewer> dropped;
            lock (_lock)
            {
                if (Typist == viewer || !_viewers.Contains(viewer)) return;
                SetTypist(viewer);
                dropped = PublishState();
            }
            Drop(dropped);
        }

        private void SetTypist(Viewer? viewer)
        {
            if (Typist is { } previous) previous.Session.Typing = false;
            Typist = viewer;
            if (viewer is not null) viewer.Session.Typing = true;
        }

        /// <summary>Queues each viewer its state (under the lock, so states arrive in order); returns those whose backlog is full.</summary>
        private List<Viewer> PublishState()
        {
            var typist = Typist?.Session.Person;
            var dropped = new List<Viewer>();
            foreach (var viewer in _viewers)
            {
                var state = JsonSerializer.SerializeToUtf8Bytes(new { op = "state", typing = viewer == Typist, typist, viewers = _viewers.Length });
                if (!viewer.TryQueue(new Frame(state, Text: true))) dropped.Add(viewer);
            }
            return dropped;
        }

        /// <summary>A viewer whose backlog is full is dropped rather than slowing the guest or the others.</summary>
        private static void Drop(List<Viewer> viewers)
        {
            foreach (var viewer in viewers)
                viewer.Session.Close($"This viewer fell more than {BacklogBytes / (1024 * 1024)} MiB behind the console's output and was dropped; reconnect (the log has everything).");
        }

        public void Send(ReadOnlySpan<byte> data)
        {
            if (_closing) return;
            lock (_sendLock) stream.Send(data);
        }

        private void ReadLoop()
        {
            var buffer = new byte[16 * 1024];
            string reason;
            try
            {
                while (true)
                {
                    var read = stream.Receive(buffer);
                    if (read == 0)
                    {
                        reason = "The console ended: the VM stopped.";
                        break;
                    }
                    var frame = new Frame(buffer.AsSpan(0, read).ToArray(), Text: false);
                    var dropped = new List<Viewer>();
                    foreach (var viewer in Volatile.Read(ref _viewers))
                        if (!viewer.TryQueue(frame)) dropped.Add(viewer);
                    Drop(dropped);
                }
            }
            catch (Exception e)
            {
                reason = $"The console stream broke: {e.Message}";
                if (!_closing) logger.LogInformation(e, "Serial console of VM {Vm} ended", VmId);
            }
            _ended = true;
            if (!_closing)
            {
                foreach (var viewer in Volatile.Read(ref _viewers)) viewer.Session.Close(reason);
            }
            Finish();
        }

        private void Finish()
        {
            if (Interlocked.Increment(ref _finished) == 2) stream.Dispose();
        }

        /// <summary>The last viewer left: ends the stream (which wakes the reading thread, which then frees it).</summary>
        public void Shutdown()
        {
            _closing = true;
            try
            {
                stream.Interrupt();
            }
            catch (Exception e)
            {
                logger.LogDebug(e, "Ending the serial console of VM {Vm}", VmId);
            }
            Finish();
        }
    }
}
