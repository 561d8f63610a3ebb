using System.Diagnostics;
using System.Text;

namespace KrautPortal.Benchmarks.Consoles;

/// <summary>
/// Everything a console sent back, with the Stopwatch timestamp at which each chunk arrived (taken by the reader the moment
/// its read returned, so how soon a waiter wakes up does not count). Both sides of the benchmark read into one of these.
/// </summary>
public sealed class ConsoleOutput
{
    private readonly Lock _lock = new();
    private readonly List<(long Offset, long Timestamp)> _chunks = [];
    private byte[] _bytes = new byte[1 << 20];
    private long _length;
    private TaskCompletionSource _changed = NewSignal();
    private bool _ended;
    private string? _endReason;

    public long Length { get { lock (_lock) return _length; } }

    public void Append(ReadOnlySpan<byte> data, long timestamp)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            if (_length + data.Length > _bytes.Length) Array.Resize(ref _bytes, (int)Math.Max(_bytes.Length * 2L, _length + data.Length));
            _chunks.Add((_length, timestamp));
            data.CopyTo(_bytes.AsSpan((int)_length));
            _length += data.Length;
            changed = _changed;
            _changed = NewSignal();
        }
        changed.TrySetResult();
    }

    /// <summary>The link ended (the reader saw end of stream): waiting for more fails at once instead of at its timeout.</summary>
    public void End(string? reason = null)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _ended = true;
            _endReason = reason;
            changed = _changed;
        }
        changed.TrySetResult();
    }

    /// <summary>Forgets what arrived so far (between measurements; offsets restart at 0).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _chunks.Clear();
            _length = 0;
        }
    }

    /// <summary>
    /// Waits until <paramref name="needle"/> occurs at or after <paramref name="from"/>; returns its offset and the arrival
    /// timestamp of the chunk that completed it.
    /// </summary>
    public async Task<(long Offset, long Timestamp)> WaitForAsync(ReadOnlyMemory<byte> needle, long from, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var searchFrom = from;
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                var at = _bytes.AsSpan((int)searchFrom, (int)(_length - searchFrom)).IndexOf(needle.Span);
                if (at >= 0)
                {
                    var offset = searchFrom + at;
                    return (offset, ArrivalOf(offset + needle.Length - 1));
                }
                searchFrom = Math.Max(from, _length - needle.Length + 1);
                if (_ended) throw new InvalidOperationException($"the console closed ({_endReason ?? "no reason given"}) before \"{Encoding.UTF8.GetString(needle.Span)}\" came: {Tail(from)}");
                changed = _changed.Task;
            }
            var left = deadline - Stopwatch.GetTimestamp();
            if (left <= 0 || !await WaitAsync(changed, left))
                throw new TimeoutException($"\"{Encoding.UTF8.GetString(needle.Span)}\" did not come within {timeout.TotalSeconds:0} s: {Tail(from)}");
        }
    }

    public Task<(long Offset, long Timestamp)> WaitForAsync(string text, long from, TimeSpan timeout) =>
        WaitForAsync(Encoding.UTF8.GetBytes(text), from, timeout);

    /// <summary>Waits until nothing has arrived for <paramref name="quiet"/> (the guest finished printing).</summary>
    public async Task WaitForQuietAsync(TimeSpan quiet, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_ended) throw new InvalidOperationException($"the console closed ({_endReason ?? "no reason given"})");
                changed = _changed.Task;
            }
            if (!await WaitAsync(changed, (long)(quiet.TotalSeconds * Stopwatch.Frequency))) return;
            if (clock.Elapsed > timeout) throw new TimeoutException($"the console did not fall quiet within {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>The text between two offsets (for checks; the guest's output is ASCII).</summary>
    public string Text(long from, long to)
    {
        lock (_lock) return Encoding.Latin1.GetString(_bytes, (int)from, (int)(to - from));
    }

    private long ArrivalOf(long offset)
    {
        // The last chunk that starts at or before the offset.
        var low = 0;
        var high = _chunks.Count - 1;
        while (low < high)
        {
            var mid = (low + high + 1) / 2;
            if (_chunks[mid].Offset <= offset) low = mid;
            else high = mid - 1;
        }
        return _chunks[low].Timestamp;
    }

    private string Tail(long from)
    {
        lock (_lock)
        {
            var start = Math.Max(from, _length - 400);
            return "…" + Encoding.Latin1.GetString(_bytes, (int)start, (int)(_length - start)).ReplaceLineEndings("⏎");
        }
    }

    private static async Task<bool> WaitAsync(Task changed, long stopwatchTicks)
    {
        var delay = TimeSpan.FromSeconds((double)stopwatchTicks / Stopwatch.Frequency);
        return await Task.WhenAny(changed, Task.Delay(delay)) == changed;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
