using System.Text;
using KrautPortal.Hypervisor;

namespace KrautPortal.TestSupport;

/// <summary>
/// Drives a running guest's serial console through libvirt's console stream (virDomainOpenConsole, with force):
/// type lines, wait for text. Opens a connection of its own; one thread reads everything the guest prints from
/// the moment of opening. The test guest runs a root shell there (scripts/guest-image/init).
/// </summary>
public sealed class GuestSerial : IDisposable
{
    private readonly LibvirtConnection _connection;
    private readonly LibvirtDomain _domain;
    private readonly LibvirtStream _stream;
    private readonly Thread _reader;
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly StringBuilder _output = new();
    private readonly List<Waiter> _waiters = [];
    private readonly object _lock = new();
    private Exception? _ended;

    private GuestSerial(LibvirtConnection connection, LibvirtDomain domain, LibvirtStream stream)
    {
        _connection = connection;
        _domain = domain;
        _stream = stream;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"GuestSerial {domain.Uuid}" };
        _reader.Start();
    }

    /// <summary>Attaches to the console of the running domain <paramref name="uuid"/> on <paramref name="uri"/>,
    /// taking it from whoever holds it.</summary>
    public static GuestSerial Open(string uri, Guid uuid)
    {
        var connection = LibvirtConnection.Open(uri);
        LibvirtDomain? domain = null;
        try
        {
            domain = connection.FindDomain(uuid) ?? throw new InvalidOperationException($"No domain {uuid} on {uri}.");
            return new GuestSerial(connection, domain, domain.OpenConsole(force: true));
        }
        catch
        {
            domain?.Dispose();
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Everything received since opening, with carriage returns removed.</summary>
    public string Output
    {
        get
        {
            lock (_lock) return _output.ToString();
        }
    }

    /// <summary>How many characters were received so far: pass it as <c>since</c> to wait only for later output.</summary>
    public int Length
    {
        get
        {
            lock (_lock) return _output.Length;
        }
    }

    /// <summary>Set when the stream ended: <see cref="EndOfStreamException"/> for a plain end, else libvirt's error.</summary>
    public Exception? Ended
    {
        get
        {
            lock (_lock) return _ended;
        }
    }

    /// <summary>Types <paramref name="line"/> and Enter (a carriage return, as a terminal sends it).</summary>
    public Task SendLineAsync(string line) => SendAsync(line + "\r");

    /// <summary>Sends raw keystrokes; blocking libvirt I/O runs off the caller's thread.</summary>
    public Task SendAsync(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return Task.Run(() => _stream.Send(bytes));
    }

    /// <summary>
    /// Waits until the test guest's shell answers a command: its init starts the shell late in boot, and keystrokes sent
    /// before it runs may go to nobody, so the question is repeated every few seconds.
    /// </summary>
    /// <summary>
    /// Writes a random marker (<paramref name="prefix"/> and 16 hex digits) into <paramref name="sector"/> of the guest's
    /// disk from its own shell and syncs it (a flush of the virtio disk: QEMU writes its qcow2 metadata to the file too);
    /// returns it. For tests that prove a disk's content survived a move.
    /// </summary>
    public static async Task<string> WriteDiskMarkerAsync(string uri, Guid uuid, int sector, string prefix)
    {
        var marker = prefix + Guid.NewGuid().ToString("N")[..16];
        using var console = Open(uri, uuid);
        await console.WaitForShellAsync(TimeSpan.FromSeconds(60));
        var token = Guid.NewGuid().ToString("N")[..8];
        var since = console.Length;
        await console.SendLineAsync($"echo -n {marker} | dd of=/dev/vda bs=512 seek={sector} count=1 conv=sync,fsync 2>/dev/null; echo written-{token}-$((6*7))");
        await console.WaitForAsync($"written-{token}-42", TimeSpan.FromSeconds(90), since);
        return marker;
    }

    public async Task WaitForShellAsync(TimeSpan timeout)
    {
        var token = Guid.NewGuid().ToString("N")[..12];
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            // Arithmetic in the command, so the answer differs from the echoed keystrokes.
            await SendLineAsync($"echo shell-$((40+2))-{token}");
            try
            {
                await WaitForAsync($"shell-42-{token}", TimeSpan.FromSeconds(5));
                return;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }

    /// <summary>Completes with the output from <paramref name="since"/> on once it contains <paramref name="text"/> (at once
    /// if it already does); throws on timeout or when the stream ends first. Woken by each receive, not polled.</summary>
    public async Task<string> WaitForAsync(string text, TimeSpan timeout, int since = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        var waiter = new Waiter(text, since);
        lock (_lock)
        {
            if (waiter.Check(_output, since) is { } found) return found;
            if (_ended is not null) throw new InvalidOperationException($"The console stream ended before '{text}' appeared.", _ended);
            _waiters.Add(waiter);
        }

        try
        {
            return await waiter.Done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            lock (_lock) _waiters.Remove(waiter);
            throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for '{text}' on the serial console; it showed:\n{Tail(Output)}");
        }
    }

    public void Dispose()
    {
        // Aborting the stream wakes the reader blocked in virStreamRecv (Receive returns 0).
        _stream.Dispose();
        _reader.Join(TimeSpan.FromSeconds(10));
        _domain.Dispose();
        _connection.Dispose();
    }

    private void ReadLoop()
    {
        var buffer = new byte[16 * 1024];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        Exception end;
        try
        {
            int read;
            while ((read = _stream.Receive(buffer)) > 0)
            {
                var count = _decoder.GetChars(buffer, 0, read, chars, 0);
                Append(new string(chars, 0, count).Replace("\r", "", StringComparison.Ordinal));
            }

            end = new EndOfStreamException("The console stream ended.");
        }
        catch (LibvirtException e)
        {
            end = e;
        }

        List<TaskCompletionSource<string>> failed;
        lock (_lock)
        {
            _ended = end;
            failed = _waiters.Select(w => w.Done).ToList();
            _waiters.Clear();
        }

        foreach (var waiter in failed) waiter.TrySetException(new InvalidOperationException("The console stream ended.", end));
    }

    private void Append(string text)
    {
        List<(Waiter Waiter, string Found)> met = [];
        lock (_lock)
        {
            // Only the new text (plus what a match could straddle) is searched: a burst of output stays linear.
            var from = _output.Length;
            _output.Append(text);
            foreach (var waiter in _waiters)
            {
                if (waiter.Check(_output, Math.Max(waiter.Since, from - waiter.Text.Length + 1)) is { } found) met.Add((waiter, found));
            }

            foreach (var (waiter, _) in met) _waiters.Remove(waiter);
        }

        foreach (var (waiter, found) in met) waiter.Done.TrySetResult(found);
    }

    private static string Tail(string text) => text.Length <= 2000 ? text : text[^2000..];

    private sealed class Waiter(string text, int since)
    {
        public string Text { get; } = text;

        public int Since { get; } = since;

        public TaskCompletionSource<string> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The output from <see cref="Since"/> on when <see cref="Text"/> occurs at or after <paramref name="searchFrom"/>.</summary>
        public string? Check(StringBuilder output, int searchFrom)
        {
            var start = Math.Clamp(searchFrom, 0, output.Length);
            if (output.ToString(start, output.Length - start).Contains(Text, StringComparison.Ordinal) is false) return null;
            var since = Math.Clamp(Since, 0, output.Length);
            return output.ToString(since, output.Length - since);
        }
    }
}
