using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace KrautPortal.Benchmarks.Consoles;

/// <summary>One output burst: bytes that came back and the time from Enter to the marker after them.</summary>
public sealed record BurstSample(long Bytes, double Ms)
{
    public double BytesPerSecond => Bytes / (Ms / 1000);
}

/// <summary>
/// What is measured on an open console, the same way on both sides: keystroke → echo of that key, one key at a time at
/// a typist's pace, and a large output burst (<c>seq 1 N</c>) from Enter until the marker printed after it.
/// </summary>
public static class ConsoleTiming
{
    // Typed on a comment line ("#…"), so Enter runs nothing. Lower-case letters only: the prompt set below has none.
    private const string Keys = "qwertzuiopasdfghjklyxcvbnm";
    private const string Prompt = "KP> ";
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Echo = TimeSpan.FromSeconds(10);

    /// <summary>A person's pause between keys; also lets the guest finish redrawing before the next key is timed.</summary>
    public static readonly TimeSpan TypingPause = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Brings the shell to a known state: Ctrl-U drops a half-typed line (no Ctrl-C: the guest's respawned shell may end
    /// on it and lose what follows), then a prompt without lower-case
    /// letters is set and a marker echoed (the quotes keep the typed command itself from containing the marker).
    /// </summary>
    /// <returns>The Stopwatch timestamp at which the marker arrived.</returns>
    public static async Task<long> SyncAsync(IConsoleLink link, TimeSpan timeout)
    {
        // A new marker every time: Kraut replays the console log's tail on open, with earlier markers in it.
        var marker = "KRAUTSYNC" + Random.Shared.Next(100_000, 1_000_000).ToString(CultureInfo.InvariantCulture);
        var from = link.Output.Length;
        await SendAsync(link, $"\u0015\rPS1='KP> '; echo KRAUT''{marker[5..]}\r");
        var (_, arrived) = await link.Output.WaitForAsync(marker, from, timeout);
        await link.Output.WaitForQuietAsync(Quiet, timeout);
        return arrived;
    }

    /// <summary>Types <paramref name="count"/> keys on one comment line, timing each to its echo (ms), then Enter.</summary>
    public static async Task<List<double>> KeystrokesAsync(IConsoleLink link, int count)
    {
        var samples = new List<double>(count);
        for (var i = 0; i <= count; i++)
        {
            // The first key is the comment sign: timed like the rest, but not counted.
            var key = i == 0 ? '#' : Keys[(i - 1) % Keys.Length];
            var from = link.Output.Length;
            var sent = Stopwatch.GetTimestamp();
            await SendAsync(link, key.ToString());
            var (_, arrived) = await link.Output.WaitForAsync(Encoding.ASCII.GetBytes([key]), from, Echo);
            if (i > 0) samples.Add(Stopwatch.GetElapsedTime(sent, arrived).TotalMilliseconds);
            await Task.Delay(TypingPause);
        }
        var before = link.Output.Length;
        await SendAsync(link, "\r");
        await link.Output.WaitForAsync(Prompt, before, Echo);
        await link.Output.WaitForQuietAsync(Quiet, Echo);
        return samples;
    }

    /// <summary>
    /// Runs <c>seq 1 <paramref name="lines"/></c> and a marker; counts every byte that came back from Enter to the marker
    /// and checks the last number is among them (nothing dropped on the way).
    /// </summary>
    public static async Task<BurstSample> BurstAsync(IConsoleLink link, int lines, TimeSpan timeout)
    {
        var command = $"seq 1 {lines.ToString(CultureInfo.InvariantCulture)}; echo KRAUT''DONE";
        var typed = link.Output.Length;
        await SendAsync(link, command);
        await link.Output.WaitForAsync(command, typed, Echo);
        await link.Output.WaitForQuietAsync(Quiet, Echo);
        link.Output.Clear();
        var sent = Stopwatch.GetTimestamp();
        await SendAsync(link, "\r");
        var (offset, arrived) = await link.Output.WaitForAsync("KRAUTDONE", 0, timeout);
        var text = link.Output.Text(0, offset);
        var last = "\n" + lines.ToString(CultureInfo.InvariantCulture) + "\r\n";
        if (!text.Contains(last, StringComparison.Ordinal) || text.Count(c => c == '\n') < lines)
            throw new InvalidOperationException($"{link.Side}: the burst came back incomplete ({offset} bytes, {text.Count(c => c == '\n')} lines)");
        await link.Output.WaitForAsync(Prompt, offset, Echo);
        await link.Output.WaitForQuietAsync(Quiet, Echo);
        link.Output.Clear();
        return new BurstSample(offset, Stopwatch.GetElapsedTime(sent, arrived).TotalMilliseconds);
    }

    private static Task SendAsync(IConsoleLink link, string keys) => link.SendAsync(Encoding.ASCII.GetBytes(keys));
}
